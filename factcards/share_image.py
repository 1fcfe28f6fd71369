"""The 1200×630 share image of a card: statement, value, sources, site name."""

import io

from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont

from . import reading

(WIDTH, HEIGHT), MARGIN = reading.SHARE_IMAGE_SIZE, 72
INK, MUTED, ACCENT, PAPER, ALERT = "#1b1b1f", "#55565e", "#1d4ed8", "#fbfaf7", "#9b1c1c"


def font(size):
    # Pillow's own scalable font: the same image on every machine, no system fonts needed.
    return ImageFont.load_default(size=size)


def wrap(text, face, width, max_lines):
    """Lines of `text` that fit `width`; the last one ends in an ellipsis if text is left over.

    The work is bounded whatever the text (a quotation can be 200,000 characters): it is cut
    to what `max_lines` lines could ever hold before wrapping, wrapping stops once the lines
    are full, and a word wider than a line is broken where it stops fitting.
    """
    # No glyph is narrower than a fifth of the font size, but zero-width ones, which could
    # only make a line hold more: this much text always fills the lines.
    limit = max_lines * (int(width / (face.size * 0.2)) + 1)
    left_over = len(text) > limit
    lines, line = [], ""
    for word in text[:limit].split():
        candidate = f"{line} {word}" if line else word
        if face.getlength(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        while len(lines) < max_lines and face.getlength(word) > width:
            head = longest_prefix(word, face, width)
            lines.append(head)
            word = word[len(head) :]
        line = word
        if len(lines) >= max_lines:
            left_over = True
            break
    else:
        lines.append(line)
    lines = lines[:max_lines]
    if left_over:
        last = lines[-1]
        while " " in last and face.getlength(last + "…") > width:
            last = last.rsplit(" ", 1)[0]
        if face.getlength(last + "…") > width:
            last = longest_prefix(last, face, width, end="…")
        lines[-1] = last + "…"
    return lines


def longest_prefix(text, face, width, end=""):
    """The longest start of `text` (one character at least) that fits `width` followed by
    `end`: a binary search, so a few measurements whatever its length."""
    low, high = 1, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if face.getlength(text[:middle] + end) <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low]


def fitted(text, width, sizes, max_lines):
    """The largest font size in `sizes` at which the text fits in `max_lines` lines."""
    for size in sizes:
        face = font(size)
        lines = wrap(text, face, width, max_lines)
        if not lines[-1].endswith("…"):
            return face, lines
    return face, lines


def render_share_image(card):
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, 16, HEIGHT], fill=ACCENT)
    text_width = WIDTH - 2 * MARGIN

    y = 56
    retracted = card.is_retracted
    if retracted:
        # The retraction is the news: large, in the alert colour; the claim small and grey.
        draw.rectangle([0, 0, 16, HEIGHT], fill=ALERT)
        draw.text((MARGIN, y - 8), _("RETRACTED"), font=font(72), fill=ALERT)
        y += 84
        label = _("This card was withdrawn. What it said:")
        draw.text((MARGIN, y), label, font=font(26), fill=MUTED)
        y += 44
    else:
        draw.text((MARGIN, y), card.get_kind_display().upper(), font=font(26), fill=MUTED)
        y += 52

    sizes = [32, 28] if retracted else [54, 48, 42, 36]
    face, lines = fitted(card.statement, text_width, sizes, 3 if retracted else 5)
    for line in lines:
        draw.text((MARGIN, y), line, font=face, fill=MUTED if retracted else INK)
        y += int(face.size * 1.25)

    if retracted:
        notice = reading.retraction_notice(card)
        if notice:
            y += 24
            face, lines = fitted(_("Notice: %(note)s") % {"note": notice}, text_width, [34, 30], 3)
            for line in lines:
                draw.text((MARGIN, y), line, font=face, fill=INK)
                y += int(face.size * 1.25)

    value = None if retracted else card.display_value()
    if value:
        y += 18
        face, lines = fitted(value, text_width, [64, 52, 44, 36], 2)
        for line in lines:
            if y + face.size > HEIGHT - 110:
                break
            draw.text((MARGIN, y), line, font=face, fill=ACCENT)
            y += int(face.size * 1.2)

    footer = reading.source_summary(card)
    face = font(28)
    draw.line([MARGIN, HEIGHT - 96, WIDTH - MARGIN, HEIGHT - 96], fill="#dedbd2", width=2)
    draw.text(
        (MARGIN, HEIGHT - 76), wrap(footer, face, text_width - 260, 1)[0], font=face, fill=MUTED
    )
    site = reading.site_name()
    draw.text(
        (WIDTH - MARGIN - font(32).getlength(site), HEIGHT - 80), site, font=font(32), fill=INK
    )

    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
