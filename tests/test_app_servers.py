"""Past one machine: app servers in their own processes, sharing PostgreSQL and Redis, with
Varnish in front (deploy/varnish.vcl). Each server is gunicorn (two worker processes) with
production settings against the test database; the test's data is committed
(transactional_db) so that they see it."""

import os
import socket
import time

import pytest

from factcards.models import FactCard

from .factories import UserFactory, published_card
from .processes import Desk, Varnish, collect_static, free_port, get, start_app_servers

pytestmark = [pytest.mark.servers, pytest.mark.django_db(transaction=True)]

OLD, NEW = "nearly 2,000 peacekeepers", "1,960 peacekeepers"
# What readers see of the card, each cached somewhere (Redis, a process's memory, Varnish).
WATCHED = {
    "card page": ("/cards/contingent/", {}),
    "embed": ("/embed/contingent/", {}),
    "oEmbed": ("/oembed/?url={base}/cards/contingent/", {}),
    "list": ("/", {}),
    "list fragment": ("/?q=contingent", {"HX-Request": "true"}),
}


@pytest.fixture(scope="session")
def static_files():
    collect_static()


@pytest.fixture
def card(editorial_groups):
    return published_card(slug="contingent", statement="The Russian contingent in Karabakh.")


@pytest.fixture
def correction(card):
    """A revision of the card, submitted: one publish away from correcting its value."""
    revision = card.start_revision(card.created_by)
    revision.value = 1960
    revision.qualifier = ""
    revision.correction_note = "The agreements set the contingent at 1,960."
    revision.save()
    revision.submit(card.created_by)
    return revision


@pytest.fixture
def servers(static_files):
    started = []

    def start(count=2, **env):
        started.extend(start_app_servers(count, **env))
        return started[-count:]

    yield start
    for server in started:
        server.stop()


def reading(base):
    """{what: the value it shows} for each watched page at `base`."""
    seen = {}
    for name, (path, headers) in WATCHED.items():
        status, _, body = get(base + path.format(base=base), **headers)
        assert status == 200, (name, status)
        seen[name] = NEW if NEW in body and OLD not in body else OLD if OLD in body else body
    return seen


def everywhere(value):
    return dict.fromkeys(WATCHED, value)


def publish_correction(server, correction):
    status, _ = Desk(server.url, UserFactory(group="Editors")).take(correction, "publish")
    assert status == 200
    assert FactCard.objects.get(slug="contingent").value == 1960


# --- several app servers -----------------------------------------------------------------


@pytest.mark.parametrize("shared_cache", ["redis", "process memory"])
def test_a_correction_published_on_one_server_shows_on_the_other_at_once(
    servers, correction, shared_cache
):
    redis = os.environ["REDIS_URL"] if shared_cache == "redis" else None
    one, other = servers(2, REDIS_URL=redis)
    for _ in range(4):  # each page cached, by each server's worker processes
        assert reading(one.url) == reading(other.url) == everywhere(OLD)
    publish_correction(one, correction)
    for _ in range(4):
        assert reading(other.url) == reading(one.url) == everywhere(NEW)
    assert "The agreements set the contingent at 1,960." in get(other.url + "/feed/")[2]


# --- Varnish in front ------------------------------------------------------------------------


@pytest.fixture
def cached_site(tmp_path, servers):
    """Varnish in front of `count` app servers, which purge it after every publication."""
    started = []

    def start(count=2):
        port = free_port()
        purge = f"http://127.0.0.1:{port}/"
        app_servers = servers(count, REDIS_URL=os.environ["REDIS_URL"], FACTCARDS_PURGE_URLS=purge)
        started.append(Varnish(tmp_path, app_servers, port))
        return started[-1], app_servers

    yield start
    for cache in started:
        cache.stop()


@pytest.mark.varnish
def test_an_embed_is_served_from_the_cache(cached_site, card):
    cache, _ = cached_site()
    embed = f"{cache.url}/embed/contingent/"
    first = get(embed)
    hits = cache.hits()
    second = get(embed)
    assert first[1]["X-Cache"] == "MISS" and second[1]["X-Cache"] == "HIT"
    assert len(second[1]["X-Varnish"].split()) == 2  # this request's id, the stored copy's
    assert cache.hits() == hits + 1
    assert second[2] == first[2] and OLD in second[2]
    assert "xkey" not in second[1]  # the keys are for Varnish, not readers


@pytest.mark.varnish
def test_a_correction_reaches_every_cached_page_within_a_second(cached_site, correction):
    cache, (one, _) = cached_site()
    for _ in range(2):
        assert reading(cache.url) == everywhere(OLD)
    hits = cache.hits()
    assert reading(cache.url) == everywhere(OLD)
    assert cache.hits() == hits + len(WATCHED)  # all of them from the cache
    publish_correction(one, correction)
    published = time.monotonic()
    while reading(cache.url) != everywhere(NEW) and time.monotonic() - published < 1:
        time.sleep(0.05)
    assert time.monotonic() - published < 1
    for _ in range(4):  # nothing stale left behind, whichever server answers
        assert reading(cache.url) == everywhere(NEW)


@pytest.mark.varnish
def test_the_desk_and_signed_in_editors_are_never_served_from_the_cache(cached_site, card):
    cache, _ = cached_site(1)
    for _ in range(2):
        desk = get(f"{cache.url}/admin/login/")
        signed_in = get(f"{cache.url}/cards/contingent/", Cookie="sessionid=abc")
    assert desk[1]["X-Cache"] == signed_in[1]["X-Cache"] == "MISS"
    assert get(f"{cache.url}/cards/contingent/", Cookie="_ga=1")[1]["X-Cache"] == "MISS"
    assert get(f"{cache.url}/cards/contingent/", Cookie="_ga=2")[1]["X-Cache"] == "HIT"


@pytest.mark.varnish
def test_each_language_has_its_own_copy_in_the_cache(cached_site, card):
    cache, _ = cached_site(1)
    page = f"{cache.url}/cards/contingent/"
    for _ in range(2):
        english = get(page, **{"Accept-Language": "en-GB,en;q=0.9"})
        russian = get(page, **{"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.8"})
        chosen = get(page, Cookie="django_language=fr; _ga=1")
    assert russian[1]["X-Cache"] == english[1]["X-Cache"] == chosen[1]["X-Cache"] == "HIT"
    assert "Sources" in english[2] and "Источники" in russian[2] and "Sources" in chosen[2]
    assert '<html lang="fr">' in chosen[2] and '<html lang="en">' in english[2]


@pytest.mark.varnish
def test_only_the_app_servers_may_purge(cached_site, card):
    cache, _ = cached_site(1)
    request = b"PURGE / HTTP/1.1\r\nHost: x\r\nxkey-purge: cards-list\r\nConnection: close\r\n\r\n"
    answers = {}
    for source in ("127.0.0.1", "127.0.0.2"):  # localhost, and another address
        with socket.create_connection(("127.0.0.1", cache.port), source_address=(source, 0)) as s:
            s.sendall(request)
            answers[source] = s.recv(100).split()[1]
    assert answers == {"127.0.0.1": b"200", "127.0.0.2": b"403"}
