"""The 1200×630 share image of a card: statement, value, sources, site name."""

import io

from PIL import Image, ImageDraw, ImageFont

from . import reading

(WIDTH, HEIGHT), MARGIN = reading.SHARE_IMAGE_SIZE, 72
INK, MUTED, ACCENT, PAPER, ALERT = "#1b1b1f", "#55565e", "#1d4ed8", "#fbfaf7", "#9b1c1c"


def font(size):
    # Pillow's own scalable font: the same image on every machine, no system fonts needed.
    return ImageFont.load_default(size=size)


def wrap(text, face, width, max_lines):
    """Lines of `text` that fit `width`; the last one ends in an ellipsis if text is left over."""
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if face.getlength(candidate) <= width or not line:
            line = candidate
        else:
            lines.append(line)
            line = word
    lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        while lines[-1] and face.getlength(lines[-1] + "…") > width:
            lines[-1] = lines[-1].rsplit(" ", 1)[0] if " " in lines[-1] else lines[-1][:-1]
        lines[-1] += "…"
    return lines


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
        draw.text((MARGIN, y - 8), "RETRACTED", font=font(72), fill=ALERT)
        y += 84
        label = "This card was withdrawn. What it said:"
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
            face, lines = fitted(f"Notice: {notice}", text_width, [34, 30], 3)
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
