"""Source intake, end to end on loopback: a link in, a source with its text, candidate facts,
a draft card in one click; link health and our archived copy; differences spotted on intake."""

import socket
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from factcards.intake import work
from factcards.intake.desk import cite_difference, read_source
from factcards.models import (
    ArchivedCopy,
    Citation,
    FactCard,
    Intake,
    LinkCheck,
    Source,
    SuggestedDifference,
)

from .factories import (
    CitationFactory,
    FactCardFactory,
    PlaceFactory,
    SourceFactory,
    UserFactory,
    publish,
)
from .test_integrity import race
from .web import article_html

pytestmark = pytest.mark.django_db

ARTICLES = Path(__file__).resolve().parent.parent / "factcards" / "demo" / "articles"
INTAKE = reverse("admin:factcards_source_intake")


def paragraphs(name):
    """A demo article's paragraphs, its first line (the headline) left out."""
    lines = (ARTICLES / name).read_text(encoding="utf-8").strip().split("\n\n")
    return [p.strip() for p in lines[1:] if p.strip()]


TASS = paragraphs("003.txt")  # "1,960 military personnel", "More than 100,000 ethnic Armenians"


@pytest.fixture
def tass_page(web):
    web.page(
        "/2024/04/17/withdrawing",
        article_html(
            "Russia starts withdrawing its peacekeepers from Nagorno Karabakh",
            TASS,
            outlet="Example Agency",
            byline="A. Writer",
            published="2024-04-17",
        ),
    )
    return web.url("/2024/04/17/withdrawing")


def take_in_by_form(client, user, url):
    client.force_login(user)
    response = client.post(INTAKE, {"url": url})
    intake = Intake.objects.get(url=url)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:factcards_intake_status", args=[intake.pk])
    work.take_in.call(intake.pk)  # what the worker does with the task the form enqueued
    intake.refresh_from_db()
    return intake


def candidate(source, kind, words):
    _, rows, _ = read_source(source)
    return next(c for c, _ in rows if c.kind == kind and words in c.surface)


def test_a_link_taken_in_becomes_a_source_with_its_text_and_what_the_page_states(
    client, reporter, tass_page
):
    intake = take_in_by_form(client, reporter, tass_page)
    assert intake.status == Intake.Status.DONE, intake.error
    source = intake.source
    assert source.title == "Russia starts withdrawing its peacekeepers from Nagorno Karabakh"
    assert (source.outlet, source.byline, str(source.published_on)) == (
        "Example Agency",
        "A. Writer",
        "2024-04-17",
    )
    assert source.url == tass_page
    assert TASS[2] in source.full_text  # "According to the agreements, 1,960 military…"
    copy = source.archived_copies.get()
    assert copy.status == 200 and copy.size > 0 and "1,960 military personnel" in copy.text
    status = client.get(reverse("admin:factcards_intake_status", args=[intake.pk]))
    assert status["Location"] == reverse("admin:factcards_source_candidates", args=[source.pk])


def test_a_page_whose_charset_only_its_header_names_is_read_in_it(client, reporter, web):
    html = article_html("Миротворцы покидают Карабах", TASS).replace('<meta charset="utf-8">', "")
    web.page("/ru", html.encode("cp1251"), content_type="text/html; charset=windows-1251")
    intake = take_in_by_form(client, reporter, web.url("/ru"))
    assert intake.source.title == "Миротворцы покидают Карабах"


def test_what_a_page_does_not_state_stays_blank(client, reporter, web):
    web.page("/2024/06/12/story", article_html("A headline only", TASS[:3]))
    intake = take_in_by_form(client, reporter, web.url("/2024/06/12/story"))
    source = intake.source
    # The path has a date and the host a name: neither is what the page states.
    assert (source.outlet, source.byline, source.published_on) == ("", "", None)


def test_a_link_to_a_private_address_fails_with_a_clear_message(client, reporter, web, settings):
    settings.FACTCARDS_FETCH_ALLOW_NETWORKS = []  # as in production: no private network
    url = web.url("/anything")  # 127.0.0.1
    intake = take_in_by_form(client, reporter, url)
    assert intake.status == Intake.Status.FAILED
    assert "127.0.0.1" in intake.error and Source.objects.count() == 0
    page = client.get(reverse("admin:factcards_intake_status", args=[intake.pk]))
    assert intake.error in page.content.decode()


def test_a_link_answering_404_is_not_stored_and_says_why(client, reporter, web):
    web.gone("/missing", status=404)
    intake = take_in_by_form(client, reporter, web.url("/missing"))
    assert intake.status == Intake.Status.FAILED and "404" in intake.error
    assert Source.objects.count() == 0


@pytest.mark.parametrize(
    "data, message",
    [
        ({}, "Give one of the three"),
        ({"url": "https://example.org/a", "text": "Some text."}, "Give one of the three"),
        ({"text": "Some text."}, "A pasted text needs its headline."),
        ({"url": "file:///etc/passwd"}, "http"),
    ],
)
def test_the_intake_form_says_what_is_wrong(client, reporter, data, message):
    client.force_login(reporter)
    response = client.post(INTAKE, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Intake.objects.count() == 0 and Source.objects.count() == 0


def test_a_link_already_a_source_is_not_taken_in_twice(client, reporter):
    existing = SourceFactory(url="https://example.org/articles/kremlin")
    client.force_login(reporter)
    response = client.post(INTAKE, {"url": "https://www.example.org/articles/kremlin/"})
    assert "This link is already a source" in response.content.decode()
    assert str(existing) in response.content.decode() and Intake.objects.count() == 0


def test_an_uploaded_page_becomes_a_source_without_a_fetch(client, reporter):
    from django.core.files.uploadedfile import SimpleUploadedFile

    html = article_html("Uploaded headline", TASS, outlet="Example Agency")
    client.force_login(reporter)
    upload = SimpleUploadedFile("page.html", html.encode(), content_type="text/html")
    response = client.post(INTAKE, {"page": upload})
    source = Source.objects.get()
    assert response["Location"] == reverse("admin:factcards_source_candidates", args=[source.pk])
    assert (source.title, source.outlet, source.url) == ("Uploaded headline", "Example Agency", "")
    assert TASS[2] in source.full_text


def text_source(client, user, text_paragraphs, title="Pasted headline"):
    client.force_login(user)
    client.post(INTAKE, {"text": "\n\n".join(text_paragraphs), "title": title})
    return Source.objects.get(title=title)


def test_one_click_on_a_candidate_makes_a_draft_that_passes_the_publish_checks(
    client, reporter, editor
):
    source = text_source(client, reporter, TASS)
    page = client.get(reverse("admin:factcards_source_candidates", args=[source.pk]))
    figure = candidate(source, "figure", "1,960")
    assert f'value="{figure.key}"' in page.content.decode()  # the highlight is the button
    response = client.post(
        reverse("admin:factcards_source_draft", args=[source.pk]), {"candidate": figure.key}
    )
    card = FactCard.objects.get()
    assert response["Location"] == reverse("admin:factcards_factcard_change", args=[card.pk])
    assert (card.kind, card.value, card.status, card.created_by) == (
        "figure",
        1960,
        "draft",
        reporter,
    )
    assert "military personnel" in card.unit
    citation = card.citations.get()
    assert citation.source == source and "1,960 military personnel" in citation.excerpt
    assert source.contains_verbatim(citation.excerpt)
    assert card.publication_errors() == []
    card.submit(reporter)
    card.publish(editor)
    assert FactCard.objects.get(pk=card.pk).status == "published"


def test_the_draft_form_opens_prefilled(client, reporter):
    source = text_source(client, reporter, TASS)
    figure = candidate(source, "figure", "1,960")
    response = client.post(
        reverse("admin:factcards_source_draft", args=[source.pk]),
        {"candidate": figure.key},
        follow=True,
    )
    form = response.context["adminform"].form
    assert form.initial["value"] == "1960" and form.initial["kind"] == "figure"


def test_a_candidate_already_on_a_card_is_marked(client, reporter):
    source = text_source(client, reporter, TASS)
    figure = candidate(source, "figure", "1,960")
    url = reverse("admin:factcards_source_draft", args=[source.pk])
    client.post(url, {"candidate": figure.key})
    _, rows, used = read_source(source)
    assert figure.key in used
    assert [cards for c, cards in rows if c.key == figure.key] == [[FactCard.objects.get()]]
    page = client.get(reverse("admin:factcards_source_candidates", args=[source.pk]))
    assert "fc-cand-used" in page.content.decode()


def test_a_candidate_not_in_the_text_is_refused_with_a_message(client, reporter):
    source = text_source(client, reporter, TASS)
    url = reverse("admin:factcards_source_draft", args=[source.pk])
    response = client.post(url, {"candidate": "figure:0:99999"}, follow=True)
    assert "This candidate is no longer in the source" in response.content.decode()
    assert FactCard.objects.count() == 0


def test_a_double_click_on_a_candidate_makes_one_draft(client, reporter):
    source = text_source(client, reporter, TASS)
    figure = candidate(source, "figure", "1,960")
    url = reverse("admin:factcards_source_draft", args=[source.pk])
    first = client.post(url, {"candidate": figure.key})
    second = client.post(url, {"candidate": figure.key}, follow=True)
    card = FactCard.objects.get()
    assert first["Location"] == reverse("admin:factcards_factcard_change", args=[card.pk])
    assert "You already made a draft of this candidate: here it is." in second.content.decode()


def test_a_pasted_text_longer_than_any_article_is_refused_with_a_message(client, reporter):
    client.force_login(reporter)
    response = client.post(INTAKE, {"text": "Word " * 25_000, "title": "A very long paste"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "This text is longer than 100,000 characters: paste the article alone" in page
    assert "Give one of the three" not in page
    assert not Source.objects.exists()


def test_a_user_who_may_not_add_cards_cannot_make_a_draft(client, reporter, django_user_model):
    source = text_source(client, reporter, TASS)
    viewer = django_user_model.objects.create_user("viewer", is_staff=True)
    client.force_login(viewer)
    url = reverse("admin:factcards_source_draft", args=[source.pk])
    assert client.post(url, {"candidate": "figure:0:1"}).status_code == 403
    assert FactCard.objects.count() == 0


# --- link health and the archived copy -----------------------------------------------------------


@pytest.fixture
def cited_link(client, reporter, editor, tass_page):
    """A source taken in from a link (so archived), cited by a published card."""
    source = take_in_by_form(client, reporter, tass_page).source
    card = FactCardFactory(created_by=reporter, citations=0, slug="contingent")
    CitationFactory(card=card, source=source, excerpt=TASS[2])
    return source, publish(card, editor)


def test_a_link_that_starts_returning_404_is_broken_on_the_desk_and_the_card_offers_our_copy(
    client, web, editor, cited_link
):
    source, card = cited_link
    assert work.check_link(source).outcome == LinkCheck.Outcome.OK
    page = client.get(card.get_absolute_url()).content.decode()
    assert "archived copy" not in page and source.url in page

    web.gone("/2024/04/17/withdrawing", status=404)
    assert work.check_link(source).outcome == LinkCheck.Outcome.MISSING
    client.force_login(editor)
    desk = client.get(reverse("admin:index")).content.decode()
    assert 'Broken source links <span class="fc-count">(1)</span>' in desk
    assert str(source) in desk and card.statement in desk

    page = client.get(card.get_absolute_url()).content.decode()
    archive = reverse("archived_copy", args=[source.pk])
    assert f'href="{archive}"' in page and "the original link is broken" in page
    wrapper = client.get(archive)
    assert wrapper["X-Robots-Tag"].startswith("noindex")
    copy = client.get(reverse("archived_page", args=[source.pk]))
    assert "sandbox" in copy["Content-Security-Policy"]
    assert "default-src 'none'" in copy["Content-Security-Policy"]
    assert copy["X-Robots-Tag"].startswith("noindex")
    assert "1,960 military personnel" in copy.content.decode()


def test_a_link_that_comes_back_is_no_longer_offered_as_archived(client, web, cited_link):
    source, card = cited_link
    web.gone("/2024/04/17/withdrawing", status=410)
    work.check_link(source)
    web.page("/2024/04/17/withdrawing", article_html("Back", TASS))
    assert work.check_link(source).outcome == LinkCheck.Outcome.OK
    assert "archived copy" not in client.get(card.get_absolute_url()).content.decode()


def test_redirects_are_followed_and_recorded(web):
    web.page("/new-home", article_html("Moved", TASS))
    web.redirect("/old-home", "/new-home", status=301)
    source = SourceFactory(url=web.url("/old-home"))
    check = work.check_link(source)
    assert check.outcome == LinkCheck.Outcome.REDIRECTED
    assert check.redirects == [[301, web.url("/new-home")]]
    assert check.final_url == web.url("/new-home")


def test_a_not_found_page_served_as_200_is_a_soft_404(web):
    web.page("/", article_html("Front page", TASS[:2]))
    web.redirect("/story", "/", status=302)
    web.page("/gone", "<html><head><title>Page not found</title></head><body>Sorry</body></html>")
    assert work.check_link(SourceFactory(url=web.url("/story"))).outcome == "soft_404"
    assert work.check_link(SourceFactory(url=web.url("/gone"))).outcome == "soft_404"


@pytest.mark.parametrize(
    "title",
    [
        "Missing hikers could not be found, police say",
        "Error 404: the law that broke the web",
        "Not found: the ceasefire both sides promised",
    ],
)
def test_an_article_that_only_mentions_not_found_is_no_soft_404(web, title):
    web.page("/story", article_html(title, TASS[:2]))
    assert work.check_link(SourceFactory(url=web.url("/story"))).outcome == "ok"


@pytest.mark.parametrize(
    "title", ["404 Not Found", "Oops! That page can’t be found. | Agency", "Error 404", "410 Gone"]
)
def test_pages_titled_not_found_are_soft_404s(web, title):
    web.page("/gone", f"<html><head><title>{title}</title></head><body>Sorry</body></html>")
    assert work.check_link(SourceFactory(url=web.url("/gone"))).outcome == "soft_404"


def test_a_domain_that_no_longer_resolves_is_gone(monkeypatch):
    def no_such_name(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)  # what a resolver says, offline too
    check = work.check_link(SourceFactory(url="http://factcards-test.invalid/story"))
    assert check.outcome == LinkCheck.Outcome.DOMAIN_GONE and check.message


def test_the_hourly_job_hands_the_worker_only_links_due_for_a_check(db):
    checked, never, no_link = SourceFactory(), SourceFactory(), SourceFactory(url="")
    LinkCheck.objects.create(
        source=checked,
        url=checked.url,
        checked_at=timezone.now(),
        outcome="ok",
    )
    assert list(work.links_due()) == [never.pk]
    assert no_link.pk not in work.links_due()


def test_an_archived_copy_with_an_id_no_database_holds_is_404(client, db):
    for url in [
        "/sources/9223372036854775808/archived/",
        "/sources/99999999999999999999/archived/page",
    ]:
        assert client.get(url).status_code == 404


def test_a_source_cited_only_by_drafts_has_no_public_archived_copy(client, reporter, tass_page):
    source = take_in_by_form(client, reporter, tass_page).source
    CitationFactory(card=FactCardFactory(created_by=reporter, citations=0), source=source)
    client.logout()
    assert client.get(reverse("archived_copy", args=[source.pk])).status_code == 404
    assert client.get(reverse("archived_page", args=[source.pk])).status_code == 404


def test_a_source_added_by_hand_with_a_link_is_archived_by_the_worker(web, reporter):
    web.page("/by-hand", article_html("By hand", TASS))
    source = SourceFactory(url=web.url("/by-hand"))
    assert work.archive_source.call(source.pk) == "Archived."
    assert TASS[0] in ArchivedCopy.objects.get(source=source).text


def test_a_public_archive_is_asked_when_configured(settings, web, client, reporter):
    web.page("/web/20260101000000/saved", "<html><body>the public copy</body></html>")
    web.redirect("/save/" + web.url("/2024/04/17/withdrawing"), "/web/20260101000000/saved")
    web.page("/2024/04/17/withdrawing", article_html("Archived publicly", TASS))
    settings.FACTCARDS_PUBLIC_ARCHIVE = web.url("/save/")
    source = take_in_by_form(client, reporter, web.url("/2024/04/17/withdrawing")).source
    assert source.archived_copies.get().public_copy == web.url("/web/20260101000000/saved")


# --- differences spotted on intake --------------------------------------------------------------

EXODUS = (
    "After months of shortages, Azerbaijan retook the region in September 2023. That "
    "triggered an exodus of 120,000 ethnic Armenians living in Nagorno-Karabakh."
)


@pytest.fixture
def exodus_card(reporter, editor):
    karabakh = PlaceFactory(name="Nagorno-Karabakh", slug="nagorno-karabakh")
    card = FactCardFactory(
        created_by=reporter,
        statement="Around 100,000 ethnic Armenians left Nagorno-Karabakh.",
        value=100000,
        unit="ethnic Armenians",
        qualifier="around",
        citations=0,
    )
    card.places.add(karabakh)
    CitationFactory(card=card, excerpt="Nearly 2,000 Russian peacekeepers had been stationed.")
    return publish(card, editor)


def test_a_new_source_with_another_number_is_suggested_as_a_difference(
    client, reporter, editor, exodus_card
):
    source = text_source(client, reporter, [EXODUS], title="Exodus")
    work.look_for_differences.call(source.pk)  # the task the intake enqueued
    suggestion = SuggestedDifference.objects.get()
    assert (suggestion.card, suggestion.source, suggestion.stated_value) == (
        exodus_card,
        source,
        "120,000",
    )
    client.force_login(editor)
    desk = client.get(reverse("admin:index")).content.decode()
    assert "Sources that disagree with a card" in desk and "gives 120,000" in desk

    url = reverse("admin:factcards_difference", args=[suggestion.pk])
    response = client.post(url, {"action": "cite"})
    revision = FactCard.objects.get(revision_of=exodus_card)
    assert response["Location"] == reverse("admin:factcards_factcard_change", args=[revision.pk])
    differs = revision.citations.get(relation=Citation.Relation.DIFFERS)
    assert (differs.source, differs.stated_value) == (source, "120,000")
    assert "120,000 ethnic Armenians" in differs.excerpt

    again = client.post(url, {"action": "cite"}, follow=True)
    assert "Someone already decided on this suggestion" in again.content.decode()
    assert revision.citations.filter(relation="differs").count() == 1


def test_the_same_number_or_another_thing_counted_suggests_nothing(client, reporter, exodus_card):
    same = text_source(
        client, reporter, ["Around 100,000 ethnic Armenians fled Nagorno-Karabakh."], "Same"
    )
    other = text_source(
        client, reporter, ["Some 120,000 refugees crossed from Nagorno-Karabakh."], "Other"
    )
    assert work.suggest_differences(same) == [] and work.suggest_differences(other) == []


def test_a_dismissed_suggestion_leaves_the_card_alone(client, reporter, editor, exodus_card):
    source = text_source(client, reporter, [EXODUS], title="Exodus")
    suggestion = work.suggest_differences(source)[0]
    client.force_login(editor)
    url = reverse("admin:factcards_difference", args=[suggestion.pk])
    client.post(url, {"action": "dismiss"})
    suggestion.refresh_from_db()
    assert suggestion.status == "dismissed" and suggestion.decided_by == editor
    assert not FactCard.objects.filter(revision_of=exodus_card).exists()


def test_only_the_cards_editors_dismiss_a_suggestion_and_only_once(
    client, reporter, other_reporter, editor, exodus_card
):
    source = text_source(client, reporter, [EXODUS], title="Exodus")
    suggestion = work.suggest_differences(source)[0]
    url = reverse("admin:factcards_difference", args=[suggestion.pk])
    # A reporter may not hide a disagreement with a published card.
    client.force_login(other_reporter)
    refused = client.post(url, {"action": "dismiss"}, follow=True).content.decode()
    assert "Only the card&#x27;s editors" in refused and "nothing was dismissed" in refused
    suggestion.refresh_from_db()
    assert suggestion.status == "open"
    assert (
        "Choose to cite the source"
        in client.post(url, {"action": "<script>"}, follow=True).content.decode()
    )
    client.force_login(editor)
    assert (
        "Suggestion dismissed."
        in client.post(url, {"action": "dismiss"}, follow=True).content.decode()
    )
    again = client.post(url, {"action": "dismiss"}, follow=True).content.decode()
    assert "Someone already decided on this suggestion: dismissed." in again
    assert "Suggestion dismissed." not in again
    missing = reverse("admin:factcards_difference", args=[suggestion.pk + 100])
    assert client.post(missing, {"action": "dismiss"}).status_code == 404


def test_a_broken_link_without_our_copy_offers_the_archive_link_given_by_hand(web, editor):
    web.gone("/lost", status=404)
    source = SourceFactory(url=web.url("/lost"), archive_url="https://archive.example.org/lost")
    card = FactCardFactory(citations=0)
    CitationFactory(card=card, source=source)
    card = publish(card, editor)
    work.check_link(source)
    page = Client().get(card.get_absolute_url()).content.decode()
    assert 'href="https://archive.example.org/lost"' in page and "link is broken" in page


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("trial", range(3))
def test_two_editors_citing_one_suggestion_at_once_cite_it_once(editorial_groups, trial):
    reporter = UserFactory(group="Reporters")
    first, second = UserFactory(group="Editors"), UserFactory(group="Editors")
    card = publish(FactCardFactory(created_by=reporter, value=100000, unit="ethnic Armenians"))
    source = SourceFactory(full_text=EXODUS)
    suggestion = SuggestedDifference.objects.create(
        card=card, source=source, excerpt=EXODUS.split(". ")[1], stated_value="120,000"
    )
    outcomes = race(
        lambda: cite_difference(suggestion.pk, first),
        lambda: cite_difference(suggestion.pk, second),
    )
    assert outcomes == ["done", "refused"]
    assert Citation.objects.filter(source=source, relation="differs").count() == 1
    assert FactCard.objects.filter(revision_of=card).count() == 1
