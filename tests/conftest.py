import os

import pytest

from factcards.models import FactCard

from .factories import FactCardFactory, UserFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync loop + ORM


@pytest.fixture(autouse=True)
def test_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Serve static files from the source folders, as in development: no collectstatic in tests.
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True


@pytest.fixture
def reporter(db):
    return UserFactory(username="rita", group="Reporters")


@pytest.fixture
def other_reporter(db):
    return UserFactory(username="omar", group="Reporters")


@pytest.fixture
def editor(db):
    return UserFactory(username="eve", group="Editors")


@pytest.fixture
def other_editor(db):
    return UserFactory(username="ed", group="Editors")


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True)


@pytest.fixture
def draft(reporter):
    return FactCardFactory(created_by=reporter, slug="peacekeepers")


@pytest.fixture
def in_review(draft, reporter):
    draft.submit(reporter)
    return draft


@pytest.fixture
def published(in_review, editor):
    in_review.publish(editor)
    return FactCard.objects.get(pk=in_review.pk)
