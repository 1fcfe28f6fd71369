"""The HTTP cache in front: responses name the cards they show; publishing purges them."""

import pytest
from django.db import transaction
from django.tasks import default_task_backend

from factcards.models import FactCard
from factcards.tasks import purge_cache

from .factories import (
    CitationFactory,
    FactCardFactory,
    TopicFactory,
    UserFactory,
    publish,
    published_card,
)


@pytest.fixture
def card(db):
    return published_card(slug="contingent")


def keys(response, header="xkey"):
    return set(response[header].split())


def topical_card(topic, **fields):
    card = FactCardFactory(**fields)
    card.topics.set([topic])
    return publish(card)


@pytest.mark.parametrize(
    "url",
    [
        "/embed/contingent/",
        "/oembed/?url=http://testserver/cards/contingent/",
        "/cards/contingent.png",
    ],
)
def test_embeds_name_their_card_for_the_cache_even_when_unchanged(client, card, url):
    response = client.get(url)
    assert keys(response) == {f"card-{card.pk}"}
    again = client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    assert keys(again) == {f"card-{card.pk}"}


def test_a_card_page_names_the_card_its_sources_topics_and_related_cards(client, db):
    topic = TopicFactory()
    card = topical_card(topic, slug="contingent")
    related = topical_card(topic)
    response = client.get("/cards/contingent/")
    source = card.citations.get().source
    assert keys(response) == {
        f"card-{card.pk}",
        f"source-{source.pk}",
        f"topic-{topic.pk}",
        f"card-{related.pk}",
    }
    assert "s-maxage=" in response["Cache-Control"] and "public" in response["Cache-Control"]


def test_the_list_and_its_fragment_name_every_list_and_the_cards_shown(client, card):
    shown = {"cards-list", f"card-{card.pk}"}
    assert keys(client.get("/")) == shown
    assert keys(client.get("/?q=peacekeepers", HTTP_HX_REQUEST="true")) == shown
    assert "HX-Trigger" in client.get("/")["Vary"]


@pytest.mark.parametrize("url", ["/feed/", "/sitemap.xml", "/sitemap-cards.xml"])
def test_feeds_and_sitemaps_are_purged_with_every_list(client, card, url):
    assert keys(client.get(url)) == {"cards-list"}


def test_the_header_names_come_from_the_settings(client, card, settings):
    settings.FACTCARDS_SURROGATE_KEY_HEADERS = ["Surrogate-Key", "Cache-Tag"]
    response = client.get("/")
    assert response["Surrogate-Key"] == f"card-{card.pk} cards-list"
    assert response["Cache-Tag"] == f"card-{card.pk},cards-list"  # Cloudflare's commas
    assert not response.has_header("xkey")


def test_a_draft_is_not_named_anywhere(client, card):
    draft = FactCardFactory()
    assert f"card-{draft.pk}" not in client.get("/")["xkey"]
    assert not client.get(f"/embed/{draft.slug}/").has_header("xkey")


# --- purging -------------------------------------------------------------------------------


@pytest.fixture
def purging(settings, fake_cache):
    fake_cache.start()
    settings.FACTCARDS_PURGE_URLS = [fake_cache.url]
    return fake_cache


def test_publishing_purges_the_card_and_every_list_once_committed(
    purging, django_capture_on_commit_callbacks, db
):
    topic = TopicFactory()
    with django_capture_on_commit_callbacks(execute=True):
        card = topical_card(topic)
        assert purging.purges == []  # not before the commit
    assert purging.purged_keys() == [{f"card-{card.pk}", "cards-list", f"topic-{topic.pk}"}]


def test_a_correction_purges_the_card_page_and_its_embeds(
    purging, django_capture_on_commit_callbacks, card
):
    revision = card.start_revision(card.created_by)
    revision.value = 1960
    revision.correction_note = "The agreements set the contingent at 1,960."
    revision.save()
    revision.submit(card.created_by)
    with django_capture_on_commit_callbacks(execute=True):
        revision.publish(UserFactory(group="Editors"))
    assert purging.purged_keys() == [{f"card-{card.pk}", "cards-list"}]


def test_a_retraction_purges_the_card(purging, django_capture_on_commit_callbacks, card):
    with django_capture_on_commit_callbacks(execute=True):
        card.retract(UserFactory(group="Editors"), "The figure was never confirmed.")
    assert purging.purged_keys() == [{f"card-{card.pk}", "cards-list"}]


def test_a_change_to_a_cited_source_purges_it_and_every_card_citing_it(
    purging, django_capture_on_commit_callbacks, card
):
    source = card.citations.get().source
    also = FactCardFactory(citations=0)
    CitationFactory(card=also, source=source)
    also = publish(also)
    published_card()  # cites another source
    source.title = "Russian peacekeepers leave Karabakh"
    with django_capture_on_commit_callbacks(execute=True):
        source.save(by=UserFactory(group="Editors"))
    assert purging.purged_keys() == [
        {f"source-{source.pk}", "cards-list", f"card-{card.pk}", f"card-{also.pk}"}
    ]


def test_nothing_is_purged_when_the_publication_rolls_back(
    purging, django_capture_on_commit_callbacks, in_review, editor
):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            in_review.publish(editor)
            raise RuntimeError
    assert purging.purges == []
    assert FactCard.objects.get(pk=in_review.pk).status == "in_review"


def test_publishing_through_the_admin_purges_too(
    purging, django_capture_on_commit_callbacks, in_review, editor, client
):
    client.force_login(editor)
    url = f"/admin/factcards/factcard/{in_review.pk}/workflow/publish/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"version": in_review.version})
    assert response.status_code == 302
    assert FactCard.objects.get(pk=in_review.pk).status == "published"
    assert purging.purged_keys() == [{f"card-{in_review.pk}", "cards-list"}]


def test_the_worker_purges_once_more_a_few_seconds_later(
    purging, django_capture_on_commit_callbacks, in_review, editor, settings
):
    with django_capture_on_commit_callbacks(execute=True):
        in_review.publish(editor)
    (later,) = default_task_backend.results
    assert later.task.func is purge_cache.func
    assert later.args == [sorted({f"card-{in_review.pk}", "cards-list"}), [purging.url]]
    waited = (later.task.run_after - later.enqueued_at).total_seconds()
    assert waited == pytest.approx(settings.FACTCARDS_PURGE_REPEAT_AFTER, abs=1)


def test_an_unreachable_cache_does_not_stop_a_publication(
    settings, fake_cache, django_capture_on_commit_callbacks, in_review, editor
):
    settings.FACTCARDS_PURGE_URLS = [fake_cache.url]  # not started: connections refused
    with django_capture_on_commit_callbacks(execute=True):
        in_review.publish(editor)
    assert FactCard.objects.get(pk=in_review.pk).status == "published"
    assert [result.args[1] for result in default_task_backend.results] == [[fake_cache.url]]
