"""How a card reads, wherever it is shown: the card page, the list, embeds, oEmbed, the share
image, the feed, JSON-LD. One place for the value as a reader reads it, who the sources are,
the summaries, the dates and the site's name, so no two places word them differently.

Templates reach these through the `cards` template tag library (factcards/templatetags/cards.py)
and the FactCard properties that delegate here.
"""

from django.conf import settings

# The share image (og:image, oEmbed thumbnail): the size social networks crop to.
SHARE_IMAGE_SIZE = (1200, 630)


def site_name():
    return settings.FACTCARDS_SITE_NAME


# --- values ---------------------------------------------------------------------------------


def format_number(value):
    """1960.0000 → '1,960'; 4.5000 → '4.5'."""
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value.normalize():,f}"


def format_date(value, precision):
    """A date with only as much as is known: '2024', 'April 2024', 'April 17, 2024'."""
    if precision == "year":
        return f"{value.year}"
    if precision == "month":
        return f"{value:%B} {value.year}"
    return f"{value:%B} {value.day}, {value.year}"


def display_value(card):
    """The typed value as a reader reads it: 'nearly 2,000 peacekeepers'."""
    kind = card.kind
    if kind == "figure" and card.value is not None:
        parts = [card.get_qualifier_display() if card.qualifier else "", format_number(card.value)]
        return " ".join(p for p in [*parts, card.unit] if p)
    if kind == "date" and card.value_date:
        text = format_date(card.value_date, card.date_precision)
        if card.value_date_end:
            text += f" to {format_date(card.value_date_end, card.date_precision)}"
        return text
    if kind == "quote" and card.quotation:
        return f"“{card.quotation}” ({card.speaker})"
    if kind == "document" and card.document_title:
        if card.value_date:
            return f"{card.document_title}, {format_date(card.value_date, card.date_precision)}"
        return card.document_title
    return ""


def iso_datetime(value):
    """A timestamp as HTML's <time datetime> and Open Graph take it: whole seconds, with the
    offset (a backup keeps whole seconds, so a restore shows the same)."""
    return value.replace(microsecond=0).isoformat() if value else ""


# --- who the sources are ----------------------------------------------------------------------


def publisher(source):
    """Whom a reader can name for a source: its outlet, else its byline; never invented."""
    return source.outlet or source.byline


def full_credit(source):
    """Who published a source, where its title follows: 'The Moscow Times (AFP)',
    'AFP (outlet not stated)', 'Outlet not stated'."""
    if source.outlet:
        return f"{source.outlet} ({source.byline})" if source.byline else source.outlet
    if source.byline:
        return f"{source.byline} (outlet not stated)"
    return "Outlet not stated"


def credit(source):
    """Who published a source, where nothing else names it: as full_credit, and the title
    when neither outlet nor byline is known."""
    if source.outlet or source.byline:
        return full_credit(source)
    return f"“{source.title}” (outlet not stated)"


def sources(card):
    """The card's sources, each once, in citation order."""
    return list({c.source_id: c.source for c in card.citations.all()}.values())


def credits(citations):
    """Who published these citations' sources, each once, in order."""
    return list(dict.fromkeys(credit(c.source) for c in citations))


def source_summary(card):
    """'3 sources: The Moscow Times, AFP and 1 with no outlet stated'."""
    cited = sources(card)
    named = list(dict.fromkeys(publisher(s) for s in cited if publisher(s)))
    unnamed = sum(1 for s in cited if not publisher(s))
    noun = "source" if len(cited) == 1 else "sources"
    if not cited:
        return "no sources"
    if not named:
        return f"{len(cited)} {noun}, outlet not stated"
    parts = named + ([f"{unnamed} with no outlet stated"] if unnamed else [])
    listed = ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]
    return f"{len(cited)} {noun}: {listed}"


# --- corrections and retraction ---------------------------------------------------------------


def retraction(card):
    """The public retraction of a retracted card (None for any other card)."""
    if card.status != "retracted":
        return None
    return next((c for c in card.corrections.all() if c.kind == "retraction"), None)


def retraction_notice(card):
    """The retraction's public note ('' if none was kept), None for a card not retracted."""
    if card.status != "retracted":
        return None
    notice = retraction(card)
    return notice.note if notice else ""


def headline(card):
    """The card's title where it travels alone (oEmbed, feed): a retraction says so first."""
    return f"Retracted: {card.statement}" if card.status == "retracted" else card.statement


def description(card):
    """One line for search engines and link previews: the fact, its value, its sources."""
    value = display_value(card)
    parts = [headline(card), f"({value})" if value else "", f"{source_summary(card)}."]
    return " ".join(p for p in parts if p)


# --- structured data --------------------------------------------------------------------------


def json_ld(card, url):
    """schema.org Claim for this card: its citations and public corrections."""
    data = {
        "@context": "https://schema.org",
        "@type": "Claim",
        "url": url,
        "text": card.statement,
        "datePublished": iso_datetime(card.published_at) or None,
        "dateModified": iso_datetime(card.last_updated) or None,
        "citation": [
            {
                "@type": "NewsArticle",
                "headline": source.title,
                "url": source.url or None,
                "datePublished": source.published_on.isoformat() if source.published_on else None,
                "publisher": {"@type": "Organization", "name": source.outlet}
                if source.outlet
                else None,
                "author": {"@type": "Organization", "name": source.byline}
                if source.byline
                else None,
            }
            for source in sources(card)
        ],
        "correction": [
            {
                "@type": "CorrectionComment",
                "text": correction.note,
                "datePublished": iso_datetime(correction.created_at),
            }
            for correction in card.corrections.all()
        ],
    }
    return drop_empty(data)


def drop_empty(value):
    """The structure without None values and empty lists (JSON-LD leaves unknowns out)."""
    if isinstance(value, dict):
        cleaned = {k: drop_empty(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [drop_empty(v) for v in value]
    return value
