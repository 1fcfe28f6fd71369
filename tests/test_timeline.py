"""Timelines of a topic's or a place's dated cards: the picture (SVG drawn on the server), the
list under it, zooming to some years, the embed and its oEmbed answer."""

import datetime
import re
import xml.etree.ElementTree as ElementTree

import pytest
from django.core.management import call_command

from factcards import timelines
from factcards.models import Citation, FactCard

from .factories import (
    CitationFactory,
    FactCardFactory,
    PlaceFactory,
    SourceFactory,
    TopicFactory,
    publish,
)

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def demo(db, editorial_groups):
    call_command("load_demo", verbosity=0)


def picture(response):
    """The timeline's <svg> as an element tree."""
    svg = re.search(r"<svg class=\"tl-svg\".*?</svg>", response.content.decode(), re.S)
    assert svg, "no picture on the page"
    return ElementTree.fromstring(
        svg[0].replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    )


def marks(svg):
    return [
        (g.get("data-card"), g.get("class").split()[1], g)
        for g in svg.iter(f"{SVG}g")
        if g.get("data-card")
    ]


def listed(response):
    """The slugs of the list under the picture, in order."""
    return re.findall(r'<li data-card="([\w-]+)">', response.content.decode())


def dated_card(**fields):
    defaults = {"kind": FactCard.Kind.DATE, "value": None, "unit": "", "qualifier": ""}
    return FactCardFactory(**(defaults | fields))


def demo_slug(statement_start):
    return FactCard.objects.get(statement__startswith=statement_start).slug


def test_the_karabakh_timeline_shows_its_published_dated_cards_in_order(client, demo):
    response = client.get("/topics/karabakh-conflict/timeline/")
    assert response.status_code == 200
    war = demo_slug("Azerbaijan and Armenia fought their first war")
    offensive = demo_slug("Azerbaijan took over Nagorno-Karabakh")
    deaths = demo_slug("On September 20, 2023")
    assert listed(response) == [war, offensive, deaths]
    # The picture has the same events in the same order as the list.
    drawn = marks(picture(response))
    assert [slug for slug, _, _ in drawn] == listed(response)
    shapes = {slug: (shape, g) for slug, shape, g in drawn}
    # 1988 to 1994, to the year: a bar over seven whole years, not two points.
    shape, war_mark = shapes[war]
    assert shape == "tl-period"
    bar = war_mark.find(f"{SVG}rect")
    ticks = {
        t.text: float(t.get("x"))
        for t in picture(response).iter(f"{SVG}text")
        if (t.text or "").isdigit()
    }
    year = (ticks["1995"] - ticks["1990"]) / 5
    assert float(bar.get("width")) == pytest.approx(7 * year, rel=0.02)
    assert float(bar.get("x")) == pytest.approx(ticks["1990"] - 2 * year, rel=0.02)
    # September 2023 is known to the month: a span, not a dot; September 20, 2023 is a dot.
    assert shapes[offensive][0] == "tl-span" and shapes[offensive][1].find(f"{SVG}rect") is not None
    assert shapes[deaths][0] == "tl-point" and shapes[deaths][1].find(f"{SVG}circle") is not None
    page = response.content.decode()
    assert '<time datetime="1988">1988</time> to <time datetime="1994">1994</time>' in page
    assert '<time datetime="2023-09">September 2023</time>' in page
    # A card of the topic still in review is not on it.
    assert "Azerbaijan began blocking the sole road" not in page


def test_a_place_has_its_timeline_too_and_a_card_page_links_to_them(client, demo):
    response = client.get("/places/nagorno-karabakh/timeline/")
    assert response.status_code == 200
    assert "2024-06-12" in response.content.decode()  # the withdrawal, completed
    card = FactCard.objects.get(slug=demo_slug("Azerbaijan took over Nagorno-Karabakh"))
    page = client.get(card.get_absolute_url()).content.decode()
    assert 'href="/topics/karabakh-conflict/timeline/"' in page
    assert 'href="/places/nagorno-karabakh/timeline/"' in page


def test_a_date_another_source_gives_is_drawn_beside_the_cards(client, db):
    topic = TopicFactory(slug="withdrawal", name="Withdrawal")
    card = dated_card(
        slug="mandate",
        statement="The peacekeepers' mandate ran until 2025.",
        value_date=datetime.date(2025, 1, 1),
        date_precision="year",
        citations=0,
    )
    card.topics.add(topic)
    CitationFactory(card=card, excerpt="a mandate to stay until 2025")
    CitationFactory(
        card=card,
        source=SourceFactory(outlet="AP"),
        relation=Citation.Relation.DIFFERS,
        stated_value="November 2025",
        excerpt="until November 2025",
    )
    publish(card)
    response = client.get("/topics/withdrawal/timeline/")
    page = response.content.decode()
    assert "Sources disagree: AP gives <b>November 2025</b>." in page
    drawn = marks(picture(response))
    assert [(slug, shape) for slug, shape, _ in drawn] == [
        ("mandate", "tl-span"),
        ("mandate", "tl-other"),
    ]
    assert 'class="tl-link"' in page  # the two are joined


def test_figures_are_placed_by_their_as_of_date(client, db):
    topic = TopicFactory(slug="forces")
    card = FactCardFactory(slug="contingent", as_of=datetime.date(2021, 3, 1))
    card.topics.add(topic)
    publish(card)
    undated = FactCardFactory(slug="undated")
    undated.topics.add(topic)
    publish(undated)
    response = client.get("/topics/forces/timeline/")
    assert listed(response) == ["contingent"]
    assert 'As of <time datetime="2021-03-01">March 1, 2021</time>' in response.content.decode()


def test_zooming_to_some_years_keeps_them_in_the_address(client, demo):
    response = client.get("/topics/karabakh-conflict/timeline/", {"from": "2020", "to": "2029"})
    war = demo_slug("Azerbaijan and Armenia fought their first war")
    assert war not in listed(response) and len(listed(response)) == 2
    assert "2 dated cards, 2020 to 2029" in response.content.decode()
    # A period that overlaps the years asked for stays on.
    response = client.get("/topics/karabakh-conflict/timeline/", {"from": "1990", "to": "1990"})
    assert listed(response) == [war]
    # The full page links each decade, for htmx and without it alike.
    page = client.get("/topics/karabakh-conflict/timeline/").content.decode()
    assert 'href="/topics/karabakh-conflict/timeline/?from=1990&amp;to=1999"' in page
    assert 'data-hx-push-url="true"' in page


def test_htmx_gets_the_timeline_alone_and_a_cache_keeps_the_two_apart(client, demo):
    url = "/topics/karabakh-conflict/timeline/?from=2023&to=2023"
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert fragment.content.decode().lstrip().startswith('<section id="timeline"')
    assert "<html" not in fragment.content.decode()
    assert "HX-Request" in fragment["Vary"]
    restored = client.get(url, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restored.content.decode()  # Back restores the whole page


@pytest.mark.parametrize(
    "query, message",
    [
        ({"from": "abc"}, "Give a year as a whole number, e.g. 1994."),
        ({"to": "99999"}, "Give a year from 1 to 9999."),
        ({"from": "2000", "to": "1990"}, "The first year comes after the last: swap them."),
    ],
)
def test_a_bad_range_says_what_is_wrong_and_shows_every_year(client, demo, query, message):
    response = client.get("/topics/karabakh-conflict/timeline/", query)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert len(listed(response)) == 3


@pytest.mark.parametrize("query", ["?from=9999", "?from=2030", "?to=1000", "?from=1700&to=1705"])
def test_years_with_nothing_dated_say_so(client, demo, query):
    for headers in ({}, {"HX-Request": "true"}):
        response = client.get(f"/topics/karabakh-conflict/timeline/{query}", headers=headers)
        assert response.status_code == 200
        assert "No published card is dated in these years." in response.content.decode()
    assert client.get(f"/embed/timeline/karabakh-conflict/{query}").status_code == 200


def test_a_tag_no_published_card_carries_is_not_public(client, db):
    topic = TopicFactory(slug="secret-plans")
    draft = dated_card(value_date=datetime.date(2024, 1, 1), date_precision="year")
    draft.topics.add(topic)
    assert client.get("/topics/secret-plans/timeline/").status_code == 404
    assert client.get("/embed/timeline/secret-plans/").status_code == 404
    assert client.get("/topics/no-such-topic/timeline/").status_code == 404
    assert client.get("/places/no-such-place/timeline/").status_code == 404


def test_a_retracted_card_leaves_the_timeline(client, db, editor):
    place = PlaceFactory(slug="lachin")
    card = dated_card(slug="corridor", value_date=datetime.date(2020, 11, 10), date_precision="day")
    card.places.add(place)
    card = publish(card)
    other = dated_card(slug="road", value_date=datetime.date(2022, 12, 1), date_precision="month")
    other.places.add(place)
    publish(other)
    assert listed(client.get("/places/lachin/timeline/")) == ["corridor", "road"]
    card.retract(editor, note="The date was wrong.")
    assert listed(client.get("/places/lachin/timeline/")) == ["road"]


def test_too_many_events_for_one_picture_asks_to_zoom_in(client, db, monkeypatch):
    monkeypatch.setattr(timelines, "MAX_EVENTS", 2)
    topic = TopicFactory(slug="busy")
    for year in (2001, 2002, 2003):
        card = dated_card(value_date=datetime.date(year, 1, 1), date_precision="year")
        card.topics.add(topic)
        publish(card)
    page = client.get("/topics/busy/timeline/").content.decode()
    assert page.count("<li data-card=") == 2
    assert "Zoom in to fewer years to see them all." in page


def test_the_timeline_embed_is_framable_cached_and_follows_publications(client, demo, editor):
    response = client.get("/embed/timeline/karabakh-conflict/")
    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    assert "frame-ancestors" in response["Content-Security-Policy"]
    assert "noindex" in response.content.decode()
    assert "cards-list" in response["xkey"]
    assert len(listed(response)) == 3
    etag = response["ETag"]
    assert (
        client.get(
            "/embed/timeline/karabakh-conflict/", headers={"If-None-Match": etag}
        ).status_code
        == 304
    )
    # A zoomed embed is another variant.
    zoomed = client.get("/embed/timeline/karabakh-conflict/?from=2023&to=2023")
    assert zoomed["ETag"] != etag and len(listed(zoomed)) == 2
    # Publishing a card of the topic changes the embed at once.
    card = FactCard.objects.get(statement__startswith="Azerbaijan began blocking the sole road")
    card.publish(editor)
    response = client.get("/embed/timeline/karabakh-conflict/", headers={"If-None-Match": etag})
    assert response.status_code == 200 and len(listed(response)) == 4


def test_the_timeline_page_offers_its_embed_codes_and_oembed(client, demo):
    page = client.get("/topics/karabakh-conflict/timeline/?from=2020&to=2029").content.decode()
    # The codes as text to copy: the iframe's own "&amp;" shows as such.
    assert "testserver/embed/timeline/karabakh-conflict/?from=2020&amp;amp;to=2029" in page
    assert ">http://testserver/topics/karabakh-conflict/timeline/?from=2020&amp;to=2029<" in page
    assert 'type="application/json+oembed"' in page
    answer = client.get(
        "/oembed/",
        {"url": "http://testserver/topics/karabakh-conflict/timeline/?from=2020&to=2029"},
    ).json()
    assert answer["type"] == "rich" and answer["title"] == "Timeline: Karabakh conflict"
    assert (
        'src="http://testserver/embed/timeline/karabakh-conflict/?from=2020&amp;to=2029"'
        in (answer["html"])
    )
    assert 'data-factcard="timeline-karabakh-conflict"' in answer["html"]
    assert answer["width"] == 560 and answer["height"] > 100
    xml = client.get(
        "/oembed/",
        {"url": "http://testserver/embed/timeline/karabakh-conflict/", "format": "xml"},
    )
    assert ElementTree.fromstring(xml.content).find("title").text == "Timeline: Karabakh conflict"
    small = client.get(
        "/oembed/",
        {
            "url": "http://testserver/topics/karabakh-conflict/timeline/",
            "maxwidth": "320",
            "maxheight": "200",
        },
    ).json()
    assert (small["width"], small["height"]) == (320, 200)
    bad = client.get(
        "/oembed/",
        {"url": "http://testserver/topics/karabakh-conflict/timeline/", "maxwidth": "wide"},
    )
    assert bad.status_code == 400
    missing = client.get("/oembed/", {"url": "http://testserver/topics/nothing/timeline/"})
    assert missing.status_code == 404
    elsewhere = client.get(
        "/oembed/", {"url": "http://example.com/topics/karabakh-conflict/timeline/"}
    )
    assert elsewhere.status_code == 404


def test_head_answers_like_get_on_every_public_page(client, demo):
    """Uptime monitors and link checkers ask with HEAD: never a 405."""
    card = FactCard.objects.published().first()
    for url in [
        "/",
        "/?kind=figure",
        card.get_absolute_url(),
        "/topics/karabakh-conflict/timeline/",
        "/places/nagorno-karabakh/timeline/",
        f"/embed/{card.slug}/",
    ]:
        for headers in ({}, {"Accept-Language": "ru"}):
            response = client.head(url, headers=headers)
            assert response.status_code == 200, url
            assert response.content == b"", url
