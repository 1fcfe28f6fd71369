"""The share image is bounded work for any card: huge quotations render quickly and validly."""

import io

import pytest
from PIL import Image, ImageFont

from factcards.models import FactCard

from .factories import published_card

# A render measures text about a hundred times (a few thousand characters); these bounds leave room
# for the longest texts that fit, and are far below what unbounded wrapping costs (one
# measurement per word: 160,000 measurements of 5 million characters for 40,000 words).
MAX_MEASUREMENTS = 400
MAX_MEASURED_CHARACTERS = 30_000

NO_SPACES = ("Karabakh" + "peacekeepers" + "withdrawal") * 6667  # 200,010 characters
MANY_WORDS = " ".join(
    ["the", "peacekeepers", "left", "Karabakh", "in", "2024"][i % 6] for i in range(40_000)
)


@pytest.fixture
def measurements(monkeypatch):
    """Every text measurement the drawing makes: how many, and how many characters."""
    seen = []
    measure = ImageFont.FreeTypeFont.getlength

    def counted(face, text, *args, **kwargs):
        seen.append(len(text))
        return measure(face, text, *args, **kwargs)

    monkeypatch.setattr(ImageFont.FreeTypeFont, "getlength", counted)
    return seen


def quote_card(quotation):
    return published_card(
        slug="long-quote",
        kind=FactCard.Kind.QUOTE,
        value=None,
        unit="",
        qualifier="",
        speaker="A spokesperson",
        quotation=quotation,
    )


@pytest.mark.parametrize(
    "quotation", [NO_SPACES[:200_000], MANY_WORDS], ids=["200000-characters", "40000-words"]
)
def test_a_huge_quotation_makes_a_valid_share_image_with_bounded_work(
    client, db, measurements, quotation
):
    card = quote_card(quotation)
    assert len(card.quotation) == len(quotation)

    response = client.get(f"/cards/{card.slug}.png")

    assert response.status_code == 200
    image = Image.open(io.BytesIO(response.content))
    assert (image.format, image.size) == ("PNG", (1200, 630))
    image.verify()
    assert len(measurements) < MAX_MEASUREMENTS
    assert sum(measurements) < MAX_MEASURED_CHARACTERS


def test_an_ordinary_card_measures_its_text_a_few_dozen_times(client, db, measurements):
    card = published_card(slug="contingent")
    assert client.get(f"/cards/{card.slug}.png").status_code == 200
    assert 0 < len(measurements) < 100


def test_a_word_wider_than_the_image_is_broken_across_lines_not_drawn_off_the_edge():
    from factcards.share_image import font, wrap

    face = font(54)
    lines = wrap(NO_SPACES[:300], face, 1056, 5)
    assert len(lines) == 5 and lines[-1].endswith("…")
    assert all(face.getlength(line) <= 1056 for line in lines)
    assert "".join(lines).rstrip("…") == NO_SPACES[: len("".join(lines)) - 1]
