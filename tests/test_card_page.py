"""The card page, feed, sitemap and health check: only what is on record is public."""

import pytest
from django.urls import reverse

from factcards.models import Citation, FactCard

from .factories import (
    CitationFactory,
    FactCardFactory,
    SourceFactory,
    TopicFactory,
    UserFactory,
    publish,
)


@pytest.fixture
def card(db):
    card = FactCardFactory(
        slug="contingent",
        statement="Russia sent 1,960 military personnel.",
        value=1960,
        unit="military personnel",
        qualifier="",
        citations=0,
        value_note="The agreements give the exact number.",
    )
    CitationFactory(
        card=card,
        source=SourceFactory(outlet="", title="Russia starts withdrawing", url=""),
        excerpt="1,960 military personnel with small arms",
    )
    CitationFactory(
        card=card,
        source=SourceFactory(outlet="The Moscow Times"),
        relation=Citation.Relation.DIFFERS,
        stated_value="nearly 2,000",
        excerpt="Nearly 2,000 Russian peacekeepers had been stationed",
    )
    return publish(card)


def page_of(client, card):
    return client.get(reverse("card_detail", args=[card.slug]))


def test_card_page_shows_statement_value_and_sources(client, card):
    page = page_of(client, card).content.decode()
    assert "Russia sent 1,960 military personnel." in page
    assert "1,960 military personnel</p>" in page
    assert "1,960 military personnel with small arms" in page
    assert "Nearly 2,000 Russian peacekeepers had been stationed" in page


def test_source_without_a_link_says_so(client, card):
    assert "(no link available)" in page_of(client, card).content.decode()


def test_source_link_is_shown(client, card):
    url = card.citations.exclude(source__url="").get().source.url
    assert f'href="{url}"' in page_of(client, card).content.decode()


def test_disagreement_shows_values_side_by_side_with_the_reason(client, card):
    page = page_of(client, card).content.decode()
    assert "Where sources disagree" in page
    assert 'nearly 2,000</span> <span class="values-who">The Moscow Times' in page
    assert "The agreements give the exact number." in page


def test_figure_shows_its_qualifier(client, db):
    card = publish(
        FactCardFactory(slug="around", qualifier="around", value=100000, unit="ethnic Armenians")
    )
    assert "around 100,000 ethnic Armenians" in page_of(client, card).content.decode()


def test_card_page_has_title_description_canonical_and_open_graph(client, card):
    page = page_of(client, card).content.decode()
    assert "<title>Russia sent 1,960 military personnel. · factcards</title>" in page
    assert '<meta name="description" content="Russia sent 1,960' in page
    assert '<link rel="canonical" href="http://testserver/cards/contingent/">' in page
    assert '<meta property="og:title" content="Russia sent 1,960 military personnel.">' in page


def test_correction_log_and_last_update_after_a_revision(client, card, reporter, other_editor):
    revision = card.start_revision(reporter)
    revision.statement = "Russia sent 1,960 military personnel to the region."
    revision.correction_note = "The statement now names where they were sent."
    revision.save()
    revision.submit(reporter)
    revision.publish(other_editor)
    page = page_of(client, card).content.decode()
    assert "The statement now names where they were sent." in page
    assert "Last updated" in page


def test_pending_revision_does_not_show_on_the_public_page(client, card, reporter):
    revision = card.start_revision(reporter)
    revision.statement = "Unapproved wording."
    revision.save()
    assert "Unapproved wording." not in page_of(client, card).content.decode()


def test_retracted_card_keeps_its_page_with_a_notice(client, card, other_editor):
    card.retract(other_editor, "The contingent figure was misattributed.")
    response = page_of(client, card)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Retracted on" in page
    assert "The contingent figure was misattributed." in page
    assert '<meta name="robots" content="noindex">' in page


@pytest.mark.parametrize("status", ["draft", "in_review"])
def test_unpublished_cards_are_404_even_for_staff(client, reporter, editor, status):
    card = FactCardFactory(created_by=reporter, slug="secret")
    if status == "in_review":
        card.submit(reporter)
    assert page_of(client, card).status_code == 404
    client.force_login(editor)
    assert page_of(client, card).status_code == 404


def test_related_cards_share_a_topic(client, card, db):
    topic = TopicFactory(slug="mission")
    card_topics = FactCard.topics.through
    card_topics.objects.create(factcard=card, topic=topic)  # test setup, not an edit path
    other = FactCardFactory(statement="Another mission card.")
    other.topics.set([topic])
    publish(other)
    unrelated = publish(FactCardFactory(statement="Unrelated card."))
    page = page_of(client, card).content.decode()
    assert "Another mission card." in page
    assert unrelated.statement not in page


def test_feed_lists_published_cards_and_corrections(client, card, other_editor):
    FactCardFactory(statement="A draft nobody should see.")
    card.retract(other_editor, "Withdrawn for a sourcing error.")
    feed = client.get(reverse("feed"))
    assert feed["Content-Type"].startswith("application/atom+xml")
    body = feed.content.decode()
    assert "Retraction: Russia sent 1,960 military personnel." in body
    assert "Withdrawn for a sourcing error." in body
    assert "A draft nobody should see." not in body


def test_feed_has_newly_published_cards(client, card):
    body = client.get(reverse("feed")).content.decode()
    assert "<title>Russia sent 1,960 military personnel.</title>" in body


def unpublished(status, card, reporter):
    """A card in the given non-public state: a draft, one in review, or a pending revision."""
    if status == "revision":
        revision = card.start_revision(reporter)
        revision.statement = "Unapproved revised wording."
        revision.save()
        return revision
    other = FactCardFactory(slug="not-public", statement="Not public wording.")
    if status == "in_review":
        other.submit(other.created_by)
    return other


@pytest.mark.parametrize("status", ["draft", "in_review", "revision"])
def test_unpublished_cards_are_absent_from_feed_and_sitemap(client, card, reporter, status):
    hidden = unpublished(status, card, reporter)
    feed = client.get(reverse("feed")).content.decode()
    index = client.get(reverse("sitemap")).content.decode()
    assert "http://testserver/sitemap-cards.xml" in index
    sitemap = client.get(reverse("sitemap_section", args=["cards"])).content.decode()
    assert hidden.statement not in feed
    assert "not-public" not in feed and "not-public" not in sitemap
    assert "http://testserver/cards/contingent/" in sitemap
    assert sitemap.count("<url>") == 1


def test_healthz_checks_the_database_and_the_cache(client, db):
    response = client.get(reverse("healthz"))
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


def test_a_card_page_reads_one_row_until_the_next_publication(
    client, card, django_assert_num_queries, settings
):
    url = reverse("card_detail", args=[card.slug])
    client.get(url)
    # The publication counter: from the database, or from the shared cache (Redis).
    with django_assert_num_queries(0 if settings.FACTCARDS_SHARED_CACHE else 1):
        assert client.get(url).status_code == 200
    topic = TopicFactory(slug="mission")
    other = FactCardFactory(statement="Another card on the mission.")
    other.topics.add(topic)
    revision = card.start_revision(card.created_by)
    revision.topics.add(topic)
    revision.submit(card.created_by)
    revision.publish(UserFactory(group="Editors"))
    publish(other)
    assert "Another card on the mission." in client.get(url).content.decode()
