"""Rough edges a newcomer's trial found (issue 8): each fixed, each pinned."""

import json
from urllib.parse import urlencode

from django.urls import reverse

from factcards.models import FactCard

from .admin_forms import change_url
from .factories import UserFactory, published_card


def oembed(client, url, **params):
    return client.get("/oembed/?" + urlencode({"url": url, **params}))


def test_a_retracted_cards_oembed_says_it_was_retracted(client, db, other_editor):
    card = published_card(slug="contingent")
    card.retract(other_editor, "The figure was misattributed.")
    data = json.loads(oembed(client, "http://testserver/cards/contingent/").content)
    assert data["title"].startswith("Retracted: ")
    assert "<strong>Retracted:</strong> The figure was misattributed." in data["html"]


def test_a_retracted_cards_embed_code_carries_the_notice(client, db, other_editor):
    card = published_card(slug="contingent")
    card.retract(other_editor, "The figure was misattributed.")
    page = client.get(reverse("card_detail", args=["contingent"])).content.decode()
    assert "&lt;strong&gt;Retracted:&lt;/strong&gt; The figure was misattributed." in page


def test_the_oembed_iframe_has_a_well_formed_class_attribute(client, db):
    published_card(slug="contingent")
    html = json.loads(oembed(client, "http://testserver/cards/contingent/").content)["html"]
    assert 'class="factcard-embed"' in html
    assert "class-=" not in html


def test_oembed_finds_a_card_url_pasted_without_its_trailing_slash(client, db):
    published_card(slug="contingent")
    assert oembed(client, "http://testserver/cards/contingent").status_code == 200


def test_the_revision_diff_shows_numbers_as_readers_read_them(client, db, reporter):
    card = published_card(slug="contingent", value=2)
    revision = card.start_revision(reporter)
    revision.value = 30
    revision.save(by=reporter)
    client.force_login(reporter)
    page = client.get(change_url(revision)).content.decode()
    assert "<del>2</del>" in page and "<ins>30</ins>" in page
    assert "2.0000" not in page


def test_view_on_site_for_a_draft_leads_to_its_preview(client, draft, reporter):
    client.force_login(reporter)
    page = client.get(change_url(draft)).content.decode()
    preview = reverse("admin:factcards_factcard_preview", args=[draft.pk])
    assert f'href="{preview}"' in page
    assert FactCard.objects.get(pk=draft.pk).get_absolute_url() not in page


def test_feed_entry_ids_are_iris(client, db):
    published_card(slug="contingent")
    feed = client.get("/feed/").content.decode()
    assert "<id>urn:factcards:factcard:" in feed


def test_the_share_image_counts_one_unnamed_source_in_the_singular(db):
    from factcards import reading

    from .factories import CitationFactory, FactCardFactory, SourceFactory

    card = FactCardFactory(citations=0)
    CitationFactory(card=card, source=SourceFactory(outlet="", byline=""))
    assert reading.source_summary(card) == "1 source, outlet not stated"


def test_the_history_list_reads_without_raw_values_or_none(client, db, reporter):
    card = published_card(slug="contingent")
    client.force_login(reporter)
    page = client.get(f"/admin/factcards/factcard/{card.pk}/history/").content.decode()
    assert "In review" in page and "Published" in page
    assert "in_review" not in page
    assert ">None<" not in page.replace(" ", "").replace("\n", "")


def test_card_page_times_are_valid_html_datetimes(client, db):
    import re

    published_card(slug="contingent")
    page = client.get(reverse("card_detail", args=["contingent"])).content.decode()
    stamps = re.findall(r'<time datetime="([^"]+)"', page)
    assert stamps
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:?\d\d)", s) for s in stamps)


def test_a_retracted_cards_share_image_leads_with_the_retraction(client, db, other_editor):
    import io

    from PIL import Image

    from factcards.share_image import ALERT

    def alert_pixels(slug):
        png = client.get(reverse("card_image", args=[slug])).content
        headline = Image.open(io.BytesIO(png)).convert("RGB").crop((72, 40, 480, 130))
        alert = Image.new("RGB", (1, 1), ALERT).getpixel((0, 0))
        return sum(1 for pixel in headline.get_flattened_data() if pixel == alert)

    published_card(slug="standing")
    card = published_card(slug="withdrawn")
    card.retract(other_editor, "The figure was misattributed.")
    assert alert_pixels("standing") == 0
    assert alert_pixels("withdrawn") > 1000  # "RETRACTED", large, in the alert colour


def test_the_history_list_names_columns_and_values_as_the_desk_does(client, db, editor):
    from .factories import FactCardFactory

    card = FactCardFactory(value=None, created_by=editor)
    card.value = 1960
    card.save(by=editor)
    card.submit(editor)
    comment = "Cite the agreement itself. " * 8 + "The end of a long comment."
    card.return_to_draft(UserFactory(group="Editors"), comment)
    client.force_login(editor)
    page = client.get(f"/admin/factcards/factcard/{card.pk}/history/").content.decode()
    assert "STATUS_OF_VERSION" not in page.upper().replace("STATUS OF VERSION", "")
    assert "status_of_version" not in page
    assert "1960.0000" not in page and "1,960" in page
    assert "None" not in page
    assert "The end of a long comment." in page  # the whole comment, not 100 characters


def test_a_statement_in_cyrillic_gets_an_address_of_its_words(db):
    from .factories import FactCardFactory

    card = FactCardFactory(slug="", statement="Путин и Алиев договорились о выводе миротворцев.")
    assert card.slug == "putin-i-aliev-dogovorilis-o-vyvode"  # six words, as for English


def test_the_value_field_shows_the_number_as_typed(client, db, reporter):
    from .factories import FactCardFactory

    card = FactCardFactory(created_by=reporter, value=1960)
    client.force_login(reporter)
    page = client.get(f"/admin/factcards/factcard/{card.pk}/change/").content.decode()
    assert 'name="value" value="1960"' in page


def test_renaming_the_site_gives_embeds_a_new_etag(client, db, settings):
    from factcards.embeds import render_key

    published_card(slug="contingent")
    before = client.get("/embed/contingent/")["ETag"]
    settings.FACTCARDS_SITE_NAME = "Karabakh Desk"
    render_key.cache_clear()
    try:
        assert client.get("/embed/contingent/")["ETag"] != before
    finally:
        render_key.cache_clear()


def test_a_source_saved_for_its_byline_keeps_its_full_text_as_pasted(client, db, editor):
    from factcards.models import Source

    from .admin_forms import source_form_data
    from .factories import SourceFactory

    source = SourceFactory(full_text="\n\nThe article's text.\n")
    client.force_login(editor)
    data = source_form_data(source, byline="AFP")
    assert client.post(f"/admin/factcards/source/{source.pk}/change/", data).status_code == 302
    assert Source.objects.get(pk=source.pk).full_text == "\n\nThe article's text.\n"
