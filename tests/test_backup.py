"""Backups restore: dumpdata, then loaddata into an empty database, gives the same site."""

import datetime
import re
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client

from factcards.models import FactCard

from .factories import UserFactory

# What differs between two requests for the same page by design, not by data: the CSP nonce
# (a fresh one per response) and CSRF tokens (masked differently on every render).
PER_REQUEST = [
    (re.compile(rb'nonce="[^"]*"'), b'nonce=""'),
    (re.compile(rb'(name="csrfmiddlewaretoken" value=)"[^"]*"'), rb'\1""'),
    (re.compile(rb"(X-CSRFToken&quot;: &quot;)[^&]*"), rb"\1"),
    (re.compile(rb'("X-CSRFToken": ")[^"]*'), rb"\1"),
]


def without_per_request_tokens(body):
    for pattern, replacement in PER_REQUEST:
        body = pattern.sub(replacement, body)
    return body


def public_site():
    """Every public page's body, by URL, as a reader or an embedding site gets it."""
    urls = ["/", "/feed/", "/sitemap.xml"]
    for slug in FactCard.objects.on_record().order_by("slug").values_list("slug", flat=True):
        card_url = f"http://testserver/cards/{slug}/"
        urls += [f"/cards/{slug}/", f"/embed/{slug}/", "/oembed/?" + urlencode({"url": card_url})]
    client = Client()
    pages = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        pages[url] = without_per_request_tokens(response.content)
    return pages


def history_counts():
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label == "factcards" and model.__name__.startswith("Historical")
    }


@pytest.fixture
def newsroom_with_a_past(editorial_groups):
    """The demo, plus a pending revision, a published correction and a retraction."""
    call_command("load_demo", verbosity=0)
    reporter = UserFactory(username="rita", group="Reporters")
    editor = UserFactory(username="eve", group="Editors")
    pending, corrected, retracted = FactCard.objects.published().order_by("slug")[:3]

    revision = pending.start_revision(reporter)
    revision.context = "A pending change the public must not see."
    revision.changed_by = reporter  # the API's other spelling of save(by=reporter)
    revision.save()

    revision = corrected.start_revision(reporter)
    revision.statement = "A corrected statement, approved by an editor."
    revision.as_of = datetime.date(2024, 3, 1)
    revision.correction_note = "The statement was corrected."
    revision.changed_by = reporter
    revision.save()
    revision.submit(reporter)
    revision.publish(editor)

    retracted.retract(editor, "The figure was misreported.")


@pytest.mark.django_db(transaction=True)
def test_dumpdata_then_loaddata_into_an_empty_database_gives_the_same_site(
    newsroom_with_a_past, tmp_path
):
    backup = tmp_path / "backup.json"
    pages, counts = public_site(), history_counts()
    call_command(
        "dumpdata",
        natural_foreign=True,
        natural_primary=True,
        exclude=["contenttypes", "auth.permission", "sessions", "admin.logentry"],
        output=str(backup),
        verbosity=0,
    )
    call_command("flush", interactive=False, verbosity=0)
    assert not FactCard.objects.exists()

    call_command("loaddata", str(backup), verbosity=0)

    assert history_counts() == counts
    restored = public_site()
    assert list(restored) == list(pages)
    for url, body in pages.items():
        assert restored[url] == body, url
