"""Timelines: the published dated cards of a topic or a place on one time axis, drawn on the
server as SVG (readers download no charting code), and the same events as an ordered list.

What is dated: dates and periods, with their precision (a year-precise date covers its whole
year: it is drawn as a span, never as a point), documents with a date, and other cards by their
"as of". A citation that gives a card another date is drawn beside the card's, so a reader sees
where sources disagree on when something happened.
"""

import calendar
import re
from dataclasses import dataclass, field
from datetime import date

from django import forms
from django.db.models import Case, F, Prefetch, Q, When
from django.db.models.functions import Coalesce
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import reading
from .intake.candidates import candidates
from .models import Citation, FactCard, Place, Topic

# A picture past this many events is unreadable: readers are asked to zoom in to fewer years.
MAX_EVENTS = 300
FIRST_YEAR, LAST_YEAR = 1, 9999

TAGS = {"topic": Topic, "place": Place}


@dataclass
class Dated:
    """When something happened, as far as it is known: the first and last day it covers."""

    first: date
    last: date
    precision: str  # day, month, year
    texts: list  # as a reader reads it: ["1988", "1994"] for a period, else one
    as_of: bool = False  # the date a figure or a quote was true

    @property
    def when(self):
        text = reading.period(*self.texts) if len(self.texts) > 1 else self.texts[0]
        return _("As of %(date)s") % {"date": text} if self.as_of else text

    @property
    def is_point(self):
        return self.first == self.last

    def pieces(self):
        """(datetime for HTML's <time>, text) of its start and, for a period, its end."""
        stamps = [self.stamp(self.first), self.stamp(self.last)]
        return list(zip(stamps, self.texts, strict=False))

    def stamp(self, day):
        if self.precision == "year":
            return f"{day.year:04d}"
        if self.precision == "month":
            return f"{day.year:04d}-{day.month:02d}"
        return day.isoformat()


@dataclass
class OtherDate:
    """A date another source gives for the same event."""

    dated: Dated
    stated: str  # as the source gives it
    credit: str


@dataclass
class Event:
    card: FactCard
    dated: Dated
    period: bool  # the card states a period: from ... to ...
    by_as_of: bool  # dated only by when its figure or quote was true
    others: list = field(default_factory=list)


def covered(first, precision, last=None):
    """(first day, last day) that a date of this precision covers."""
    last = last or first
    if precision == "year":
        return date(first.year, 1, 1), date(last.year, 12, 31)
    if precision == "month":
        return first.replace(day=1), last.replace(day=calendar.monthrange(last.year, last.month)[1])
    return first, last


def dated(first, precision, last=None, as_of=False):
    precision = precision or "day"
    texts = [reading.format_date(first, precision)]
    if last and last != first:
        texts.append(reading.format_date(last, precision))
    return Dated(*covered(first, precision, last), precision, texts, as_of)


YEAR_ALONE = re.compile(r"\s*(?:in\s+)?(\d{4})\s*\.?")


def stated_date(text):
    """The date a source gives, read from a citation's stated value ("2025", "April 2024",
    "from 1988 to 1994"); None when it is not a date."""
    alone = YEAR_ALONE.fullmatch(text or "")
    if alone:
        return dated(date(int(alone[1]), 1, 1), "year")
    for candidate in candidates(text or ""):
        if candidate.kind == "date":
            return dated(candidate.value_date, candidate.date_precision, candidate.value_date_end)
    return None


def event_of(card):
    if card.kind in (FactCard.Kind.DATE, FactCard.Kind.DOCUMENT) and card.value_date:
        event = Event(
            card,
            dated(card.value_date, card.date_precision, card.value_date_end),
            period=bool(card.value_date_end and card.value_date_end != card.value_date),
            by_as_of=False,
        )
        for citation in card.dated_differences:
            other = stated_date(citation.stated_value)
            if other is not None:
                event.others.append(
                    OtherDate(other, citation.stated_value, reading.credit(citation.source))
                )
        return event
    return Event(card, dated(card.as_of, "day", as_of=True), period=False, by_as_of=True)


def asked_range(query):
    """Only ?from= and ?to= of a query string (trimmed): what shapes a timeline, and all that
    its links carry on."""
    asked = QueryDict(mutable=True)
    for name in ("from", "to"):
        value = query.get(name, "").strip()[:20]
        if value:
            asked[name] = value
    return asked


YEARS_ERROR = gettext_lazy("Give a year from %(first)s to %(last)s.")


class RangeForm(forms.Form):
    """?from=1988&to=1994: the years a timeline shows (both optional)."""

    def __init__(self, data):
        super().__init__(data)
        for name, label in (
            ("from", gettext_lazy("From the year")),
            ("to", gettext_lazy("To the year")),
        ):
            self.fields[name] = forms.IntegerField(
                label=label,
                required=False,
                min_value=FIRST_YEAR,
                max_value=LAST_YEAR,
                error_messages={
                    "invalid": _("Give a year as a whole number, e.g. 1994."),
                    "min_value": YEARS_ERROR % {"first": FIRST_YEAR, "last": LAST_YEAR},
                    "max_value": YEARS_ERROR % {"first": FIRST_YEAR, "last": LAST_YEAR},
                },
            )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("from") and cleaned.get("to") and cleaned["from"] > cleaned["to"]:
            raise forms.ValidationError(_("The first year comes after the last: swap them."))
        return cleaned

    def years(self):
        """(from, to) asked for, each None when not given or not valid."""
        if not self.is_valid():
            return None, None
        return self.cleaned_data.get("from"), self.cleaned_data.get("to")


def dated_cards(kind, tag, first_year=None, last_year=None):
    """The published dated cards carrying `tag`, in time order, within the years asked for:
    at most MAX_EVENTS + 1 (one more says there are more)."""
    dated_by_value = Q(kind__in=[FactCard.Kind.DATE, FactCard.Kind.DOCUMENT]) & Q(
        value_date__isnull=False
    )
    cards = (
        FactCard.objects.published()
        .filter(**{f"{kind}s": tag})
        .annotate(
            on=Case(When(dated_by_value, then=F("value_date")), default=F("as_of")),
            until=Case(
                When(dated_by_value, then=Coalesce("value_date_end", "value_date")),
                default=F("as_of"),
            ),
        )
        .filter(on__isnull=False)
    )
    if first_year:
        cards = cards.filter(until__gte=date(first_year, 1, 1))
    if last_year:
        cards = cards.filter(on__lte=date(last_year, 12, 31))
    differences = Citation.objects.filter(relation=Citation.Relation.DIFFERS).exclude(
        stated_value=""
    )
    return cards.order_by("on", "until", "pk").prefetch_related(
        Prefetch("citations", differences.select_related("source"), to_attr="dated_differences")
    )[: MAX_EVENTS + 1]


@dataclass
class Timeline:
    kind: str  # topic or place
    tag: object
    events: list
    first_year: int | None
    last_year: int | None
    more: bool  # more events than the picture shows in these years
    picture: object = None

    @property
    def years(self):
        if self.first_year is None or self.last_year is None:  # nothing dated, one bound asked
            return f"{self.first_year or self.last_year or ''}"
        if self.first_year == self.last_year:
            return f"{self.first_year}"
        return reading.period(self.first_year, self.last_year)

    def decades(self):
        """(label, first year, last year) of each decade it spans: quick zooms."""
        if self.first_year is None or self.last_year is None:
            return []
        start = self.first_year - self.first_year % 10
        decades = range(start, self.last_year + 1, 10)
        return [(_("the %(decade)ss") % {"decade": d}, d, d + 9) for d in decades]


def timeline(kind, tag, first_year=None, last_year=None, width=None):
    cards = reading.in_readers_language(dated_cards(kind, tag, first_year, last_year))
    events = [event_of(card) for card in cards[:MAX_EVENTS]]
    if events:
        days = [e.dated.first for e in events] + [o.dated.first for e in events for o in e.others]
        ends = [e.dated.last for e in events] + [o.dated.last for e in events for o in e.others]
        first_year = first_year or min(days).year
        last_year = last_year or max(ends).year
    line = Timeline(kind, tag, events, first_year, last_year, more=len(cards) > MAX_EVENTS)
    if events:
        line.picture = draw(line, width or WIDTH)
    return line


# --- the picture ------------------------------------------------------------------------------

WIDTH = 960  # on the site; the embed draws narrower (EMBED_WIDTH), so its labels stay legible
EMBED_WIDTH = 540
MARGIN = 12
AXIS = 34  # the year axis, above the rows
ROW = 26
BAR = 12
CHAR = 6.4  # the mean width of a 12px label's character
LABEL_CHARS = 46
GAP = 10


@dataclass
class Mark:
    """One thing drawn: a card's date (or another source's date for it) and its label."""

    shape: str  # point (a day), span (a month or a year), period, other (another source's)
    dot: bool  # drawn as a dot: one day
    x: float
    width: float
    row: int
    label: str
    label_x: float
    anchor: str  # start or end
    title: str  # the full text, shown on hover
    slug: str

    def __post_init__(self):
        self.x, self.width, self.label_x = (round(n, 1) for n in (self.x, self.width, self.label_x))

    @property
    def y(self):
        return AXIS + self.row * ROW + (ROW - BAR) / 2

    @property
    def middle(self):
        return self.y + BAR / 2

    @property
    def label_y(self):
        return self.middle + 4

    @property
    def centre(self):
        return self.x + self.width / 2


@dataclass
class Picture:
    width: int
    height: int
    ticks: list  # (x, year label)
    marks: list
    links: list  # (x1, y1, x2, y2): a card's date to another source's date for it


def draw(line, width):
    """Lay the events out on a picture `width` pixels wide: each on the first row where it and
    its label fit, with the dates other sources give on the rows right below it."""
    start = date(line.first_year, 1, 1).toordinal()
    end = date(line.last_year, 12, 31).toordinal() + 1
    scale = (width - 2 * MARGIN) / (end - start)
    label_chars = int(20 + (LABEL_CHARS - 20) * width / WIDTH)  # 46 at 960, 34 at 540

    def x_of(day):
        return MARGIN + (min(max(day.toordinal(), start), end) - start) * scale

    rows = []  # per row: the rightmost x taken
    marks, links = [], []
    for event in line.events:
        group = [(event.dated, event, None), *((o.dated, event, o) for o in event.others)]
        placed = [
            lay_out(dated, event, other, x_of, width, label_chars) for dated, event, other in group
        ]
        left = min(p[0] for p in placed)
        right = max(p[1] for p in placed)
        row = first_free(rows, left, len(placed))
        for offset, (*_ignored, mark) in enumerate(placed):
            mark.row = row + offset
            while len(rows) <= mark.row:
                rows.append(-1.0)
            rows[mark.row] = right + GAP
            marks.append(mark)
        card_mark = placed[0][2]
        for *_ignored, mark in placed[1:]:
            ends = (card_mark.centre, card_mark.middle, mark.centre, mark.y)
            links.append(tuple(round(n, 1) for n in ends))
    ticks = [tick(x_of(date(year, 1, 1)), year, width) for year in tick_years(line)]
    return Picture(width, AXIS + max(1, len(rows)) * ROW + 8, ticks, marks, links)


def lay_out(dated, event, other, x_of, width, label_chars):
    """(left, right, mark) of one date and its label, before it is given a row."""
    x1, x2 = x_of(dated.first), x_of(date.fromordinal(dated.last.toordinal() + 1))
    if other is not None:
        shape, text = "other", f"{other.stated} ({other.credit})"
        title = _("%(credit)s gives %(stated)s for: %(statement)s") % {
            "credit": other.credit,
            "stated": other.stated,
            "statement": event.card.statement,
        }
    else:
        shape = "period" if event.period else ("point" if dated.precision == "day" else "span")
        text = _("%(when)s: %(statement)s") % {
            "when": dated.when,
            "statement": event.card.statement,
        }
        title = text
    dot = dated.precision == "day" and dated.is_point
    size = 0.0 if dot else max(x2 - x1, 3.0)
    label = text if len(text) <= label_chars else text[: label_chars - 1].rstrip() + "…"
    label_width = len(label) * CHAR
    after = x1 + max(size, 6) + 6
    if after + label_width <= width - MARGIN:
        left, right, label_x, anchor = x1 - 6, after + label_width, after, "start"
    else:  # no room to its right: the label goes to its left
        before = x1 - 8
        left, right, label_x, anchor = before - label_width, x1 + max(size, 6), before, "end"
    mark = Mark(shape, dot, x1, size, 0, label, label_x, anchor, title, event.card.slug)
    return left, right, mark


def first_free(rows, left, count):
    """The first row from which `count` rows are free from `left` rightwards."""
    row = 0
    while any(row + i < len(rows) and rows[row + i] > left for i in range(count)):
        row += 1
    return row


def tick(x, year, width):
    """(x, label, text-anchor) of a year on the axis: labels at the edges stay inside."""
    anchor = "start" if x < 30 else ("end" if x > width - 30 else "middle")
    return round(x, 1), str(year), anchor


def tick_years(line):
    years = line.last_year - line.first_year + 1
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 10000) if years / s <= 10)
    first = line.first_year + (-line.first_year % step)
    return list(range(first, line.last_year + 1, step))
