"""Bad input is refused with a message an editor understands, in the model and the admin."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse

from factcards.models import Citation, FactCard, Source, WorkflowError

from .factories import CitationFactory, FactCardFactory, SourceFactory


def errors_of(obj):
    with pytest.raises(ValidationError) as caught:
        obj.full_clean()
    return caught.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "ftp://example.org/file", "data:text/html,hi", "mailto:x@y.z"]
)
def test_source_links_must_be_http_or_https(url):
    errors = errors_of(Source(title="A headline", url=url))
    assert "http:// or https://" in errors["url"][0]


@pytest.mark.django_db
def test_source_without_a_link_is_accepted():
    Source(title="A headline", url="").full_clean()


def test_javascript_link_refused_in_the_admin_form(client, editor):
    client.force_login(editor)
    response = client.post(
        reverse("admin:factcards_source_add"),
        {"title": "A headline", "url": "javascript:alert(document.cookie)", "language": "en"},
    )
    assert response.status_code == 200
    assert "http:// or https://" in response.content.decode()
    assert not Source.objects.exists()


@pytest.mark.django_db
def test_empty_excerpt_is_refused():
    citation = CitationFactory.build(card=FactCardFactory(), source=SourceFactory(), excerpt="  ")
    assert "verbatim excerpt" in errors_of(citation)["excerpt"][0]


@pytest.mark.django_db
def test_excerpt_not_in_the_sources_text_is_refused():
    source = SourceFactory(full_text="Nearly 2,000 Russian peacekeepers had been stationed.")
    citation = CitationFactory.build(
        card=FactCardFactory(), source=source, excerpt="About 2,000 peacekeepers were stationed."
    )
    assert "word for word" in errors_of(citation)["excerpt"][0]


@pytest.mark.django_db
def test_excerpt_across_a_line_break_in_the_source_is_verbatim():
    source = SourceFactory(full_text="Nearly 2,000 Russian peacekeepers had been stationed in\n\n")
    citation = CitationFactory.build(
        card=FactCardFactory(), source=source, excerpt="peacekeepers had been stationed in"
    )
    citation.full_clean()


@pytest.mark.django_db
def test_citation_giving_a_different_value_must_say_which():
    citation = CitationFactory.build(
        card=FactCardFactory(), source=SourceFactory(), relation=Citation.Relation.DIFFERS
    )
    assert "which value" in errors_of(citation)["stated_value"][0]


@pytest.mark.django_db
def test_a_figure_without_its_number_saves_as_a_draft_but_cannot_be_submitted():
    card = FactCardFactory(value=None)
    card.full_clean()  # a draft may be half-finished
    with pytest.raises(WorkflowError, match="A figure needs its number."):
        card.submit(card.created_by)
    assert FactCard.objects.get(pk=card.pk).status == FactCard.Status.DRAFT


@pytest.mark.django_db
def test_date_with_impossible_precision_is_refused():
    card = FactCardFactory.build(
        created_by=FactCardFactory().created_by,
        kind=FactCard.Kind.DATE,
        value_date=datetime.date(2024, 6, 12),
        date_precision=FactCard.Precision.MONTH,
    )
    assert "enter 2024-06-01" in errors_of(card)["value_date"][0]


@pytest.mark.django_db
def test_date_without_precision_is_refused():
    card = FactCardFactory.build(
        created_by=FactCardFactory().created_by,
        kind=FactCard.Kind.DATE,
        value_date=datetime.date(2024, 6, 12),
    )
    assert "day, month or year" in errors_of(card)["date_precision"][0]


@pytest.mark.django_db
def test_period_ending_before_it_starts_is_refused():
    card = FactCardFactory.build(
        created_by=FactCardFactory().created_by,
        kind=FactCard.Kind.DATE,
        value_date=datetime.date(1994, 1, 1),
        value_date_end=datetime.date(1988, 1, 1),
        date_precision=FactCard.Precision.YEAR,
    )
    assert "before its start" in errors_of(card)["value_date_end"][0]


@pytest.mark.django_db
def test_a_quote_without_its_speaker_cannot_be_submitted():
    card = FactCardFactory(kind=FactCard.Kind.QUOTE, quotation="Yes.", value=None)
    with pytest.raises(WorkflowError, match="A quote needs its speaker."):
        card.submit(card.created_by)


@pytest.mark.django_db
def test_over_long_statement_is_refused():
    card = FactCardFactory.build(created_by=FactCardFactory().created_by, statement="x" * 281)
    assert "at most 280 characters" in errors_of(card)["statement"][0]


@pytest.mark.django_db
def test_duplicate_slug_is_refused_with_a_clear_message():
    existing = FactCardFactory(slug="peacekeepers")
    card = FactCardFactory.build(created_by=existing.created_by, slug="peacekeepers")
    assert "already exists" in errors_of(card)["slug"][0]


@pytest.mark.django_db
def test_a_slug_differing_only_in_capitals_is_refused_with_a_clear_message():
    existing = FactCardFactory(slug="armenians-who-left-karabakh")
    card = FactCardFactory.build(created_by=existing.created_by, slug="Armenians-Who-Left-Karabakh")
    assert "same whatever its case" in errors_of(card)["__all__"][0]


@pytest.mark.django_db
def test_the_database_refuses_a_slug_differing_only_in_capitals():
    FactCardFactory(slug="armenians-who-left-karabakh")
    card = FactCardFactory(slug="another-card")
    with pytest.raises(IntegrityError), transaction.atomic():
        QuerySet(FactCard).filter(pk=card.pk).update(slug="Armenians-Who-Left-Karabakh")


@pytest.mark.django_db
def test_a_short_slug_is_unique_whatever_the_case_of_the_cards_already_here():
    FactCardFactory(slug="Trilateral-Statement-November-10-2020")
    card = FactCardFactory(slug="", statement="The trilateral statement of November 10, 2020.")
    assert card.slug == "trilateral-statement-november-10-2020-2"


@pytest.mark.django_db
def test_a_card_without_a_slug_gets_one_and_the_database_refuses_none():
    card = FactCardFactory(slug="", statement="The trilateral statement of November 10, 2020.")
    assert card.slug == "trilateral-statement-november-10-2020"
    with pytest.raises(IntegrityError), transaction.atomic():
        QuerySet(FactCard).filter(pk=card.pk).update(slug="")  # past the model: the CHECK


def test_bad_card_in_the_admin_form_shows_errors_and_saves_nothing(client, reporter):
    client.force_login(reporter)
    response = client.post(
        reverse("admin:factcards_factcard_add"),
        {
            "statement": "y" * 300,
            "slug": "bad card!",
            "kind": "date",
            "value_date": "2024-06-12",
            "date_precision": "decade",
            "version": "1",
            "citations-TOTAL_FORMS": "0",
            "citations-INITIAL_FORMS": "0",
            "corrections-TOTAL_FORMS": "0",
            "corrections-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) >= {"statement", "slug", "date_precision"}
    assert not FactCard.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["url", "archive_url"])
def test_database_refuses_a_non_web_link_even_past_validation(field):
    with pytest.raises(IntegrityError), transaction.atomic():
        Source.objects.create(title="A headline", **{field: "javascript:alert(1)"})


@pytest.mark.django_db
def test_database_refuses_an_empty_excerpt_even_past_validation():
    card = FactCardFactory(citations=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        Citation.objects.create(card=card, source=SourceFactory(), excerpt="")


# --- an excerpt that is not word for word: say where, and offer the source's words ------

ARTICLE = (
    "Russia’s peacekeepers — 1,960 military personnel — began leaving Karabakh. "
    "“Yes, it’s true,” Peskov said."
)


def excerpt_error(excerpt):
    source = SourceFactory(full_text=ARTICLE)
    citation = CitationFactory.build(card=FactCardFactory(), source=source, excerpt=excerpt)
    with pytest.raises(ValidationError) as error:
        citation.clean()
    return error.value.message_dict["excerpt"][0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed",
    [
        "peacekeepers - 1,960 military personnel - began",  # hyphens for em dashes
        '"Yes, it\'s true," Peskov said.',  # straight quotes for curly ones
        "Russia's  peacekeepers",  # an apostrophe and a double space
    ],
)
def test_an_excerpt_differing_only_in_punctuation_is_offered_the_sources_exact_words(typed):
    message = excerpt_error(typed)
    assert "Only punctuation or spacing differ" in message
    exact = message.split("the source's exact words, which are: ", 1)[1]
    assert exact in ARTICLE  # nothing around them to strip before pasting


@pytest.mark.django_db
def test_an_excerpt_differing_in_capitals_says_so_and_offers_the_exact_words():
    message = excerpt_error("russia's peacekeepers — 1,960 MILITARY personnel")
    assert "Only capitals, punctuation or spacing differ" in message
    assert message.endswith("Russia’s peacekeepers — 1,960 military personnel")


@pytest.mark.django_db
def test_an_excerpt_that_says_something_else_is_shown_where_it_departs():
    message = excerpt_error("Russia’s peacekeepers — 2,000 soldiers — began leaving")
    assert "follows the source up to “…Russia’s peacekeepers — ”" in message  # as written
    assert "you typed “2,000 soldiers" in message
    assert "the source has “1,960 military personnel" in message
