"""How a card reads, wherever it is shown: the card page, the list, embeds, oEmbed, the share
image, the feed, JSON-LD. One place for the value as a reader reads it, who the sources are,
the summaries, the dates and the site's name, so no two places word them differently.

Templates reach these through the `cards` template tag library (factcards/templatetags/cards.py)
and the FactCard properties that delegate here.
"""

from django.conf import settings
from django.utils import formats, timezone
from django.utils import translation as languages
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

# The share image (og:image, oEmbed thumbnail): the size social networks crop to.
SHARE_IMAGE_SIZE = (1200, 630)


def site_name():
    return settings.FACTCARDS_SITE_NAME


# --- values ---------------------------------------------------------------------------------


def format_number(value):
    """1960.0000 → '1,960' ('1 960' in Russian); 4.5000 → '4.5' ('4,5')."""
    if value == value.to_integral_value():
        value = int(value)
    else:
        value = value.normalize()
    return formats.number_format(value, force_grouping=True)


def format_date(value, precision):
    """A date with only as much as is known, in the reader's language: '2024', 'April 2024',
    'April 17, 2024' ('17 апреля 2024 г.')."""
    if precision == "year":
        return f"{value.year}"
    if precision == "month":
        return formats.date_format(value, "YEAR_MONTH_FORMAT")
    return formats.date_format(value, "DATE_FORMAT")


def period(start, end):
    return pgettext("a period", "%(start)s to %(end)s") % {"start": start, "end": end}


def display_value(card):
    """The typed value as a reader reads it: 'nearly 2,000 peacekeepers'."""
    kind = card.kind
    if kind == "figure" and card.value is not None:
        parts = [card.get_qualifier_display() if card.qualifier else "", format_number(card.value)]
        return " ".join(p for p in [*parts, card.unit] if p)
    if kind == "date" and card.value_date:
        text = format_date(card.value_date, card.date_precision)
        if card.value_date_end:
            text = period(text, format_date(card.value_date_end, card.date_precision))
        return text
    if kind == "quote" and card.quotation:
        return _("“%(quotation)s” (%(speaker)s)") % {
            "quotation": card.quotation,
            "speaker": card.speaker,
        }
    if kind == "document" and card.document_title:
        if card.value_date:
            return _("%(title)s, %(date)s") % {
                "title": card.document_title,
                "date": format_date(card.value_date, card.date_precision),
            }
        return card.document_title
    return ""


def iso_datetime(value):
    """A timestamp as HTML's <time datetime> and Open Graph take it: whole seconds, with the
    offset (a backup keeps whole seconds, so a restore shows the same)."""
    return value.replace(microsecond=0).isoformat() if value else ""


# --- how fresh it is ---------------------------------------------------------------------------
# Never silently stale: a card says when its fact was true, and once past the date by which an
# editor should have confirmed it (or once one has), when it was last checked.


def as_of(card):
    """'As of April 17, 2024', or '' for a card without an as-of date."""
    return _("As of %(date)s") % {"date": format_date(card.as_of, "day")} if card.as_of else ""


def last_checked(card):
    """'Last checked March 2, 2026' once the card is past its check-by date (with a warning
    that it may have changed) or an editor has confirmed it; '' before, and for drafts and
    retracted cards."""
    if card.status != "published" or card.last_checked is None:
        return ""
    checked = format_date(timezone.localtime(card.last_checked).date(), "day")
    if card.is_due_for_check:
        return _("Last checked %(date)s; it may have changed since.") % {"date": checked}
    if card.checked_at:
        return _("Last checked %(date)s.") % {"date": checked}
    return ""


# --- in the reader's language ----------------------------------------------------------------


def in_readers_language(cards):
    """The cards as readers of the active language read them: where a published translation
    of a card's current words exists, its statement, context and reason stand in for the
    card's (the value, dates and excerpts stay as sourced), and `card.translation` says so;
    else `card.translation` is None. One query for all of them; nothing is saved."""
    from .models.translations import CardTranslation, wording

    cards = [card for card in cards if card is not None]
    # Cards read for the reader already (a second call) stay as they are.
    todo = [card for card in cards if not hasattr(card, "translation")]
    for card in todo:
        card.translation = None
    language = languages.get_language() or settings.LANGUAGE_CODE
    if language == settings.LANGUAGE_CODE or not todo:
        return cards
    found = CardTranslation.objects.filter(
        card__in=[card.pk for card in todo],
        language=language,
        status=CardTranslation.Status.PUBLISHED,
    )
    by_card = {t.card_id: t for t in found}
    for card in todo:
        shown = by_card.get(card.pk)
        if shown is not None and shown.of_wording == wording(card):
            card.translation = shown
            card.statement, card.context = shown.statement, shown.context
            card.value_note = shown.value_note
    return cards


def translated_note(card):
    """What a translated card says of itself: '' for a card in its own words."""
    if getattr(card, "translation", None) is None:
        return ""
    return _(
        "Translated from English and reviewed by our editors. The sources are quoted as "
        "they were published."
    )


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
        return _("%(byline)s (outlet not stated)") % {"byline": source.byline}
    return _("Outlet not stated")


def credit(source):
    """Who published a source, where nothing else names it: as full_credit, and the title
    when neither outlet nor byline is known."""
    if source.outlet or source.byline:
        return full_credit(source)
    return _("“%(title)s” (outlet not stated)") % {"title": source.title}


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
    if not cited:
        return _("no sources")
    count = len(cited)
    if not named:
        return ngettext(
            "%(count)s source, outlet not stated", "%(count)s sources, outlet not stated", count
        ) % {"count": formats.number_format(count)}
    if unnamed:
        named.append(
            ngettext("%(count)s with no outlet stated", "%(count)s with no outlet stated", unnamed)
            % {"count": formats.number_format(unnamed)}
        )
    listed = named[0]
    if len(named) > 1:
        listed = _("%(list)s and %(last)s") % {"list": ", ".join(named[:-1]), "last": named[-1]}
    return ngettext("%(count)s source: %(list)s", "%(count)s sources: %(list)s", count) % {
        "count": formats.number_format(count),
        "list": listed,
    }


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
    if card.status == "retracted":
        return _("Retracted: %(statement)s") % {"statement": card.statement}
    return card.statement


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
