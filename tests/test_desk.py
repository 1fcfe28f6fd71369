"""The desk's home: each person's work queue, read through the workflow's own rules."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from .factories import FactCardFactory, UserFactory, published_card

HOME = reverse("admin:index")


def sign_in(page, live_server, username):
    page.goto(live_server.url + HOME)
    page.fill("#id_username", username)
    page.fill("#id_password", "correct horse battery staple")  # the factories' password
    page.click("input[type=submit]")


def queue(response, title):
    return next(q for q in response.context["desk"] if q["title"] == title)


@pytest.fixture
def newsroom(reporter, other_reporter, editor, other_editor):
    """Cards in every state an editor's or a reporter's home must sort out."""
    theirs = FactCardFactory(created_by=reporter, statement="A reporter's card in review.")
    theirs.submit(reporter)
    own = FactCardFactory(created_by=editor, statement="The editor's own card in review.")
    own.submit(editor)
    edited = FactCardFactory(created_by=other_reporter, statement="A card the editor edited.")
    edited.context = "Edited by the editor."
    edited.save(by=editor)
    edited.submit(other_reporter)
    returned = FactCardFactory(created_by=reporter, statement="A card returned to its author.")
    returned.submit(reporter)
    returned.return_to_draft(other_editor, "Cite the agreement itself.")
    FactCardFactory(created_by=reporter, statement="A draft still being written.")
    return {"theirs": theirs, "own": own, "edited": edited, "returned": returned}


def test_an_editors_home_lists_exactly_the_cards_they_may_publish(client, newsroom, editor):
    client.force_login(editor)
    awaiting = queue(client.get(HOME), "Awaiting your review")
    assert [card.statement for card in awaiting["cards"]] == ["A reporter's card in review."]
    assert awaiting["count"] == 1


def test_a_reporters_home_lists_their_returned_drafts_and_cards_in_review(
    client, newsroom, reporter
):
    client.force_login(reporter)
    response = client.get(HOME)
    returned = queue(response, "Returned to you")["cards"]
    assert [card.statement for card in returned] == ["A card returned to its author."]
    assert "Cite the agreement itself." in response.content.decode()
    drafts = queue(response, "Your drafts")["cards"]
    assert [card.statement for card in drafts] == ["A draft still being written."]
    in_review = queue(response, "In review")["cards"]
    assert [card.statement for card in in_review] == ["A reporter's card in review."]


def test_every_desk_page_names_what_waits_for_this_user(client, newsroom, editor):
    client.force_login(editor)
    page = client.get(reverse("admin:factcards_source_changelist")).content.decode()
    assert "Awaiting your review: 1" in page


def test_the_home_shows_recent_publications_and_corrections(client, db, editor, other_editor):
    card = published_card(statement="A card published today.")
    card.retract(other_editor, "It was misattributed.")
    published_card(statement="Another card published today.")
    client.force_login(editor)
    page = client.get(HOME).content.decode()
    assert "Another card published today." in page
    assert "Retraction" in page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_editor_signs_in_and_sees_their_review_queue(page, live_server, editorial_groups):
    reporter = UserFactory(username="rita", group="Reporters")
    editor = UserFactory(username="eve", group="Editors")
    theirs = FactCardFactory(created_by=reporter, statement="A reporter's card in review.")
    theirs.submit(reporter)
    own = FactCardFactory(created_by=editor, statement="The editor's own card in review.")
    own.submit(editor)
    sign_in(page, live_server, "eve")
    queue_section = page.locator("section", has_text="Awaiting your review")
    expect(queue_section).to_contain_text("A reporter's card in review.")
    expect(queue_section).not_to_contain_text("The editor's own card in review.")
    expect(page.locator(".fc-waiting")).to_have_text("Awaiting your review: 1")
    queue_section.get_by_role("link", name="A reporter's card in review.").click()
    expect(page.get_by_role("link", name="Publish")).to_be_visible()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_reporter_signs_in_and_sees_what_was_returned_with_the_comment(
    page, live_server, editorial_groups
):
    reporter = UserFactory(username="rita", group="Reporters")
    editor = UserFactory(username="eve", group="Editors")
    card = FactCardFactory(created_by=reporter, statement="A card sent back for work.")
    card.submit(reporter)
    card.return_to_draft(editor, "Cite the agreement itself, not the report of it.")
    sign_in(page, live_server, "rita")
    returned = page.locator("section", has_text="Returned to you")
    expect(returned).to_contain_text("A card sent back for work.")
    expect(returned).to_contain_text("Cite the agreement itself, not the report of it.")
    expect(page.locator(".fc-waiting")).to_have_text("Returned to you: 1")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_preview_styles_the_card_and_leaves_the_desk_as_it_is(
    page, live_server, editorial_groups
):
    """The preview shows the card as readers see it, without the public site's page styles
    restyling the desk around it (its header, body, headings, links)."""
    UserFactory(username="eve", group="Editors")
    card = FactCardFactory(statement="A card to preview.")
    sign_in(page, live_server, "eve")
    look = """() => {
        const style = (selector) => {
            const s = getComputedStyle(document.querySelector(selector));
            return [s.backgroundColor, s.color, s.fontFamily, s.fontSize, s.margin].join(" | ");
        };
        return {body: style("body"), header: style("#header"), h1: style("h1"),
                crumbs: style(".breadcrumbs"), link: style("#header a")};
    }"""
    page.goto(f"{live_server.url}{reverse('admin:factcards_factcard_change', args=[card.pk])}")
    desk = page.evaluate(look)
    page.goto(f"{live_server.url}{reverse('admin:factcards_factcard_preview', args=[card.pk])}")
    assert page.evaluate(look) == desk
    radius = page.locator("article.card").evaluate("el => getComputedStyle(el).borderRadius")
    assert radius == "10px"  # the card itself keeps the public look


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_preview_shows_the_card_as_its_public_page_does(page, live_server, editorial_groups):
    """Headings, value, excerpts, credits: the same type and colours in the desk's preview as
    on the public card page (the desk's own styles for h1, blockquote, lists don't reach it)."""
    from .factories import CitationFactory, publish

    UserFactory(username="eve", group="Editors")
    card = FactCardFactory(citations=0, context="Deployed under the November 2020 statement.")
    CitationFactory(card=card)
    card = publish(card)
    look = """() => [...document.querySelectorAll(
        "article.card h1, article.card .card-value, article.card .card-kind, " +
        "article.card .card-context, article.card h2, article.card blockquote, " +
        "article.card .citation-source, article.card li, article.card a")].map((el) => {
            const s = getComputedStyle(el);
            return [el.tagName, s.fontWeight, s.fontSize, s.fontFamily, s.color,
                    s.backgroundColor, s.borderLeftWidth, s.paddingLeft, s.listStyleType,
                    s.textTransform].join(" | ");
        })"""
    page.emulate_media(color_scheme="light")
    page.goto(live_server.url + card.get_absolute_url())
    public = page.evaluate(look)
    sign_in(page, live_server, "eve")
    page.goto(f"{live_server.url}{reverse('admin:factcards_factcard_preview', args=[card.pk])}")
    assert page.evaluate(look) == public


def test_pending_revisions_say_whether_they_were_submitted(client, db, reporter, editor):
    card = published_card(statement="A published card under revision.")
    revision = card.start_revision(reporter)
    client.force_login(editor)
    page = client.get(HOME).content.decode()
    assert "revision, draft" in page
    source = revision.citations.first().source
    page = client.get(reverse("admin:factcards_source_change", args=[source.pk])).content
    assert "(revision, a draft)" in page.decode()
