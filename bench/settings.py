"""The site's own settings plus one bare view, the ceiling a Django view can reach here."""

from newsroom.settings import *  # noqa: F403 (the benchmark runs the real settings)

ROOT_URLCONF = "bench.urls"
