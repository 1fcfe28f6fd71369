"""Candidate facts in a source's text: figures with their hedge and what they count, dates and
periods with their precision, quotes with their speaker, named documents.

Rules, not a model: a newsroom's figures are digits or a few number words next to the noun they
count, and its hedges are a short list ("nearly", "more than"…). Each candidate keeps where it
is in the text and the sentence around it, which becomes the card's verbatim excerpt."""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils.translation import gettext_lazy

STATEMENT_LENGTH = 280


KIND_LABELS = {
    "figure": gettext_lazy("figure"),
    "date": gettext_lazy("date or period"),
    "quote": gettext_lazy("quote"),
    "document": gettext_lazy("document"),
}


@dataclass(frozen=True)
class Candidate:
    kind: str
    start: int
    end: int
    sentence_start: int
    sentence_end: int
    surface: str
    sentence: str
    value: Decimal | None = None
    unit: str = ""
    qualifier: str = ""
    value_date: date | None = None
    value_date_end: date | None = None
    date_precision: str = ""
    speaker: str = ""
    quotation: str = ""
    document_title: str = ""

    @property
    def key(self):
        return f"{self.kind}:{self.start}:{self.end}"

    @property
    def kind_label(self):
        """The kind as the desk names it, in the desk's language."""
        return KIND_LABELS[self.kind]

    @property
    def hedge(self):
        """The qualifier as words: "more than"."""
        return self.qualifier.replace("_", " ")

    def card_fields(self):
        """The fields of a draft card made of this candidate."""
        fields = {"kind": self.kind, "statement": shorten(self.sentence, STATEMENT_LENGTH)}
        if self.kind == "figure":
            fields |= {"value": self.value, "unit": self.unit[:80], "qualifier": self.qualifier}
        elif self.kind == "quote":
            fields |= {"speaker": self.speaker[:200], "quotation": self.quotation}
        elif self.kind == "document":
            fields["document_title"] = self.document_title[:300]
        if self.value_date and self.kind in ("date", "document"):
            fields |= {"value_date": self.value_date, "date_precision": self.date_precision}
            if self.value_date_end:
                fields["value_date_end"] = self.value_date_end
        return fields


def candidates(text, *, published=None):
    """Every candidate in `text`, in reading order. `published` (the source's date) gives the
    year of a date written without one ("on June 12"); without it, such dates are left out."""
    text = text or ""
    sentences = list(split_sentences(text))
    found = []
    for start, end in sentences:
        sentence = text[start:end]
        found += dates(text, start, sentence, published)
        found += figures(text, start, sentence, found)
        found += documents(text, start, sentence)
    found += quotes(text, sentences)
    return sorted(found, key=lambda c: (c.start, -(c.end - c.start), c.kind))


# --- sentences ---------------------------------------------------------------------------------

SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9])|\n\s*\n")
ABBREVIATIONS = re.compile(
    r"\b(?:Mr|Mrs|Ms|Dr|Gen|Lt|Col|Sgt|St|No|Jan|Feb|Aug|Sept|Oct|Nov|Dec|U\.S|U\.N|vs)\.$"
)


def split_sentences(text):
    """(start, end) of each sentence, without the spaces around it."""
    at = 0
    for boundary in SENTENCE_END.finditer(text):
        piece_end = boundary.start()
        # A closing quote after the full stop belongs to the sentence.
        closing = re.match(r"[\"”’)\]]*", text[boundary.start() :])
        piece_end += closing.end()
        if ABBREVIATIONS.search(text[at:piece_end]):
            continue
        yield from trimmed(text, at, piece_end)
        at = boundary.end()
    yield from trimmed(text, at, len(text))


def trimmed(text, start, end):
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        yield start, end


def shorten(sentence, length):
    sentence = " ".join(sentence.split())
    if len(sentence) <= length:
        return sentence
    return sentence[: length - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def make(kind, text, start, end, sentence_start, sentence, **fields):
    return Candidate(
        kind=kind,
        start=start,
        end=end,
        sentence_start=sentence_start,
        sentence_end=sentence_start + len(sentence),
        surface=text[start:end],
        sentence=sentence,
        **fields,
    )


# --- dates and periods -------------------------------------------------------------------------

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("January", "Jan."),
            ("February", "Feb."),
            ("March", "Mar."),
            ("April", "Apr."),
            ("May",),
            ("June",),
            ("July",),
            ("August", "Aug."),
            ("September", "Sept.", "Sep."),
            ("October", "Oct."),
            ("November", "Nov."),
            ("December", "Dec."),
        ],
        start=1,
    )
    for name in names
}
MONTH = "(?:" + "|".join(re.escape(name) for name in sorted(MONTHS, key=len, reverse=True)) + ")"
YEAR = r"(?:1[89]\d\d|20\d\d)"
DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
BEFORE_YEAR = r"(?i:in|since|until|till|by|from|of|during|before|after|early|late|mid-?|around)"

DATE_RULES = [
    # periods: from 1988 to 1994, between 1988 and 1994, 1988-1994
    ("period", rf"\b(?:from\s+(?P<a>{YEAR})\s+(?:to|until|till)\s+(?P<b>{YEAR})|between\s+"
     rf"(?P<c>{YEAR})\s+and\s+(?P<d>{YEAR})|(?P<e>{YEAR})\s?[-–]\s?(?P<f>{YEAR}))\b"),
    ("iso", rf"\b(?P<y>{YEAR})-(?P<m>0[1-9]|1[0-2])-(?P<d>0[1-9]|[12]\d|3[01])\b"),
    ("mdy", rf"\b(?P<month>{MONTH})\s+(?P<day>{DAY}),?\s+(?P<year>{YEAR})\b"),
    ("dmy", rf"\b(?P<day>{DAY})\s+(?P<month>{MONTH}),?\s+(?P<year>{YEAR})\b"),
    ("my", rf"\b(?P<month>{MONTH}),?\s+(?P<year>{YEAR})\b"),
    ("md", rf"\b(?P<month>{MONTH})\s+(?P<day>{DAY})\b"),
    ("dm", rf"\b(?P<day>{DAY})\s+(?P<month>{MONTH})\b"),
    ("m", rf"\b(?:in|since|until|by|from|early|late|mid-?)\s+(?P<month>{MONTH})\b(?!\s+{DAY}\b)"),
    ("y", rf"\b(?P<prep>{BEFORE_YEAR})\s+(?:the\s+(?:fall|autumn|spring|summer|winter|end|"
     rf"beginning|start|middle)\s+of\s+)?(?P<year>{YEAR})\b(?!s|\s*[-–]\s*{YEAR})"),
]  # fmt: skip
DATE_PATTERNS = [(name, re.compile(pattern)) for name, pattern in DATE_RULES]
SURFACE_PREPOSITIONS = {"until", "till", "since", "by", "before", "after"}


def dates(text, offset, sentence, published):
    found, taken = [], []
    for name, pattern in DATE_PATTERNS:
        for match in pattern.finditer(sentence):
            start, end = match.span()
            if any(start < b and a < end for a, b in taken):
                continue
            fields = date_fields(name, match, published)
            if fields is None:
                continue
            if name == "m" or (name == "y" and match["prep"] not in SURFACE_PREPOSITIONS):
                start = match.start("month" if name == "m" else "year")
                if name == "y" and "of" in match[0].split():
                    start = match.start() + len(match["prep"]) + 1  # "the fall of 2023"
            taken.append(match.span())
            found.append(
                make("date", text, offset + start, offset + end, offset, sentence, **fields)
            )
    return found


def date_fields(name, match, published):
    if name == "period":
        first, last = [int(y) for y in match.groups() if y][:2]
        if last <= first:
            return None
        return dict(
            value_date=date(first, 1, 1), value_date_end=date(last, 1, 1), date_precision="year"
        )
    if name == "y":
        return dict(value_date=date(int(match["year"]), 1, 1), date_precision="year")
    if name == "iso":
        return day_of(int(match["y"]), int(match["m"]), int(match["d"]))
    month = MONTHS[match["month"]]
    if name == "my":
        return dict(value_date=date(int(match["year"]), month, 1), date_precision="month")
    day = int(re.match(r"\d+", match["day"])[0]) if "day" in match.re.groupindex else None
    if name in ("mdy", "dmy"):
        return day_of(int(match["year"]), month, day)
    if published is None:
        return None  # no year is stated, and none is guessed
    year = published.year
    if name == "m":
        if month > published.month:
            year -= 1
        return dict(value_date=date(year, month, 1), date_precision="month")
    fields = day_of(year, month, day)
    if fields and fields["value_date"] > published + timedelta(days=1):
        fields = day_of(year - 1, month, day)
    return fields


def day_of(year, month, day):
    try:
        return dict(value_date=date(year, month, day), date_precision="day")
    except ValueError:  # February 30
        return None


# --- figures -----------------------------------------------------------------------------------

NUMBER_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "hundred": 100, "dozen": 12,
}  # fmt: skip
SCALES = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000, "trillion": 10**12}
HEDGES = {
    "nearly": "nearly", "almost": "nearly", "close to": "nearly", "just under": "nearly",
    "around": "around", "about": "around", "approximately": "around", "roughly": "around",
    "some": "around", "an estimated": "around", "estimated": "around", "up to": "up_to",
    "more than": "more_than", "over": "more_than", "upwards of": "more_than",
    "at least": "at_least", "fewer than": "fewer_than", "less than": "fewer_than",
    "under": "fewer_than", "no more than": "up_to",
}  # fmt: skip
CURRENCIES = {"$": "US dollars", "€": "euros", "£": "pounds"}
HEDGE = "|".join(sorted((re.escape(h) for h in HEDGES), key=len, reverse=True))
WORD_NUMBER = "|".join(NUMBER_WORDS)
FIGURE = re.compile(
    rf"(?:\b(?P<hedge>{HEDGE})\s+)?(?P<currency>[$€£])?"
    rf"(?:(?P<digits>(?<![\w.,-])\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|(?<![\w.,-])\d+(?:\.\d+)?)"
    rf"|\b(?P<words>(?:{WORD_NUMBER})(?:[\s-](?:{WORD_NUMBER}))?)\b)"
    rf"(?:\s?(?P<scale>{'|'.join(SCALES)})\b)?",
    re.IGNORECASE,
)
# Words that end what a figure counts: verbs, prepositions, conjunctions, pronouns.
STOP = set(
    """a an the and or but nor of with without to from in into on onto at for by as than then
    that which who whom whose what when where while whether if because since until till
    though although about above across after against along among around before behind below
    beneath beside between beyond during except inside near off out outside over past per
    through throughout toward towards under upon via within amid is are was were be been being
    am has have had having do does did will would shall should can could may might must also
    not no yes it its he she they them their his her this these those there here left says
    said say told according each every both either neither so such only just even more most
    less least than very too again still yet already ago later earlier""".split()
)  # fmt: skip
COUNTED = re.compile(r"(?P<glued>[a-z]+\b)?(?P<rest>(?:\s+[\w'’-]+){0,8})")
NOT_COUNTED_BEFORE = re.compile(
    r"(?:\b(?:article|articles|paragraph|section|point|clause|chapter|no|number|resolution|"
    r"page|pages|room|route|flight|level|phase|grade|class|tier|version|day|week|round)|"
    + MONTH
    + r"|[#№])\s*$",
    re.IGNORECASE,
)
CONTAINERS = {"units", "unit", "tonnes", "tons", "pieces", "items", "rounds", "kinds", "types",
              "weeks", "months", "years", "days", "hours", "decades", "rows", "sets", "batches",
              "litres", "liters", "barrels", "square"}  # fmt: skip
PERCENT = re.compile(r"\s*(?:%|per\s?cent\b|percent\b)")


def figures(text, offset, sentence, taken_dates):
    found = []
    dated = [(c.start - offset, c.end - offset) for c in taken_dates if c.sentence_start == offset]
    for match in FIGURE.finditer(sentence):
        start, end = match.span()
        number_start = match.start("digits") if match["digits"] else match.start("words")
        if any(a <= number_start < b for a, b in dated):
            continue  # a day or a year of a date
        if NOT_COUNTED_BEFORE.search(sentence[:number_start]):
            continue
        value = number_value(match)
        if value is None:
            continue
        if match["digits"] and re.fullmatch(YEAR, match["digits"]) and not match["scale"]:
            continue  # a year, even without a preposition
        after = sentence[end:]
        if re.match(r"(?::\d|st\b|nd\b|rd\b|th\b|[-–]\d)", after):
            continue  # a time, an ordinal, a range's start
        if match["currency"]:
            unit, unit_end = CURRENCIES[match["currency"]], end
        elif percent := PERCENT.match(after):
            unit, unit_end = "percent", end + percent.end()
        else:
            unit, unit_end = counted(sentence, end)
        if not unit:
            continue
        hedge = (match["hedge"] or "").lower()
        found.append(
            make(
                "figure",
                text,
                offset + start,
                offset + unit_end,
                offset,
                sentence,
                value=value,
                unit=unit,
                qualifier=HEDGES.get(hedge, ""),
            )
        )
    return found


def number_value(match):
    if match["digits"]:
        value = Decimal(match["digits"].replace(",", ""))
    else:
        words = re.split(r"[\s-]+", match["words"].lower())
        if words == ["hundred"] or words == ["dozen"]:
            return None  # "hundreds", "a dozen" are not counts a card states
        value = Decimal(0)
        for word in words:
            number = NUMBER_WORDS[word]
            value = value * number if number == 100 and value else value + number
    if match["scale"]:
        value *= SCALES[match["scale"].lower()]
    return Decimal(int(value)) if value == value.to_integral() else value.normalize()


def is_plural(word):
    word = word.lower()
    return word.endswith("s") or word in ("personnel", "people", "staff", "equipment", "police")


def counted(sentence, end):
    """What the figure at `end` counts: the words after it, to the first verb, preposition or
    punctuation ("1,960 military personnel with small arms" → "military personnel")."""
    glued = re.match(r"[a-z]+\b", sentence[end:])  # "4,500sq km"
    at = end + (glued.end() if glued else 0)
    words = [glued[0]] if glued else []
    last_end = at
    for word in re.finditer(r"\s+(?P<w>[A-Za-z][\w'’-]*)|(?P<stop>\S)", sentence[at:]):
        if word["stop"] is not None or len(words) >= 6:
            break
        token = word["w"]
        lower = token.lower()
        if lower == "of" and words and words[-1].lower() in CONTAINERS:
            words.append(token)
            last_end = at + word.end()
            continue
        if lower == "and" and words and words[-2:-1] == ["of"]:
            words.append(token)  # "units of automobile and special equipment"
            last_end = at + word.end()
            continue
        if lower in STOP or lower in NUMBER_WORDS or lower in SCALES:
            break
        if words and re.search(r"(?:ed|ing)$", lower) and is_plural(words[-1]):
            break  # "2,000 peacekeepers deployed", "120,000 Armenians living"
        words.append(token)
        last_end = at + word.end()
    while words and words[-1].lower() in ("of", "and"):
        words.pop()
        last_end = end + len(sentence[end:last_end].rsplit(" ", 1)[0])
    unit = " ".join(words)
    if not unit or unit.lower() in MONTHS or re.fullmatch(r"[A-Z][a-z]*", unit) and len(words) == 1:
        return "", end  # nothing counted, or a name ("2 Baku")
    return unit, end + len(sentence[end:last_end].rstrip())


# --- documents ---------------------------------------------------------------------------------

DOCUMENT_NOUNS = (
    "statement|agreement|treaty|accords?|decree|resolution|declaration|memorandum|protocol|"
    "charter|deal|communiqué|communique|convention|pact|constitution|report"
)
NAMED_BY = {"trilateral", "tripartite", "joint", "bilateral", "peace", "ceasefire", "withdrawal",
            "framework", "security", "trade", "final"}  # fmt: skip
DOCUMENT = re.compile(
    rf"\b(?:the|a|an|its|their)\s+(?P<title>(?P<mods>(?:[\w’'-]+\s+){{0,3}}?)"
    rf"(?P<noun>{DOCUMENT_NOUNS})\b"
    rf"(?P<tail>(?:\s+(?:of|between)\s+(?:(?!{MONTH}\b)[A-Z][\w’'-]*(?:,?\s+(?:and\s+)?|\b))+)?"
    rf"(?P<when>,?\s*(?:(?P<verb>signed|dated|adopted|issued|agreed)\s+)?(?:on|of|from|in)\s+"
    rf"(?:{MONTH}\s+{DAY},?\s+{YEAR}|{DAY}\s+{MONTH},?\s+{YEAR}|{MONTH},?\s+{YEAR}|{YEAR}))?))"
)
DATE_IN_TITLE = [p for name, p in DATE_PATTERNS if name in ("mdy", "dmy", "my")]


def documents(text, offset, sentence):
    found = []
    for match in DOCUMENT.finditer(sentence):
        title = match["title"].rstrip(" ,")
        if match["verb"]:  # "signed on November 10, 2020": when, not what it is called
            title = title[: match.start("when") - match.start("title")].rstrip(" ,")
        mods = match["mods"].split()
        if any(m.lower() in STOP for m in mods):
            mods_start = match["mods"].lower().split()
            keep = [m for m in mods_start if m not in STOP]
            if len(keep) != len(mods_start):
                continue  # "a statement saying", modifiers that are not a name
        named = (
            any(m.lower() in NAMED_BY for m in mods)
            or any(m[:1].isupper() for m in mods)
            or match["tail"].strip()
            or re.search(YEAR, title)
        )
        if not named:
            continue
        fields = {"document_title": title}
        for pattern in DATE_IN_TITLE:
            if when := pattern.search(match["title"]):
                name = "my" if pattern is DATE_IN_TITLE[-1] else "mdy"
                name = "dmy" if pattern is DATE_IN_TITLE[1] else name
                fields |= date_fields(name, when, None) or {}
                break
        start, end = match.start("title"), match.end("title")
        found.append(
            make("document", text, offset + start, offset + end, offset, sentence, **fields)
        )
    return found


# --- quotes ------------------------------------------------------------------------------------

QUOTED = re.compile(r"[\"“](?P<words>[^\"“”\n]{12,}?)[\"”]")
SPEECH = r"(?:said|says|told|added|stated|wrote|declared|announced|noted|explained|insisted)"
NAME = r"(?:[A-Z][\w’'.-]*(?:\s+(?:of|the|for|de|al|von)?\s*[A-Z][\w’'.-]*)*)"
SPEAKER_AFTER = re.compile(
    rf"^[,.]?\s*(?:{SPEECH}\s+(?P<after>{NAME})|(?P<before>[^\"“”.;:]{{1,90}}?)\s+{SPEECH}\b"
    rf"|it\s+quoted\s+(?P<quoted>[^\"“”.;:]{{1,60}}?)\s+as\s+saying)"
)
SPEAKER_BEFORE = re.compile(
    rf"(?P<name>{NAME}|[Hh]e|[Ss]he|[Tt]hey)\s+{SPEECH}(?:\s+\w+)?[,:]?\s*$"
)
PRONOUNS = {"he", "she", "they", "it"}


def quotes(text, sentences):
    found, last_speaker = [], ""
    for match in QUOTED.finditer(text):
        words = match["words"].strip()
        if len(words.split()) < 4:
            continue  # scare quotes
        start, end = match.span()
        speaker = speaker_of(text, start, end)
        if speaker.lower() in PRONOUNS:
            speaker = last_speaker or last_named(text, start)
        elif not speaker and is_paragraph(text, start, end):
            speaker = last_speaker
        if not speaker:
            continue
        last_speaker = speaker
        sentence_start, sentence_end = next(
            ((a, b) for a, b in sentences if a <= start < b), (start, end)
        )
        sentence_end = max(sentence_end, end)
        sentence = text[sentence_start:sentence_end]
        found.append(
            make("quote", text, start, end, sentence_start, sentence, speaker=speaker,
                 quotation=words.rstrip(","))
        )  # fmt: skip
    return found


def speaker_of(text, start, end):
    after = SPEAKER_AFTER.match(text[end : end + 160])
    if after:
        name = after["after"] or after["before"] or after["quoted"] or ""
        name = re.sub(r"^(?:the\s+)?", "", name.strip()) if after["quoted"] else name.strip()
        if len(name.split()) <= 9:
            return name.strip(" ,")
    line_start = text.rfind("\n", 0, start) + 1
    before = SPEAKER_BEFORE.search(text[max(line_start, start - 160) : start])
    return before["name"] if before else ""


def is_paragraph(text, start, end):
    """The quote is a paragraph of its own: it goes on with the last speaker's words."""
    before = text[:start].rstrip(" \t")
    after = text[end:].lstrip(" \t.,")
    return (not before or before.endswith("\n")) and (not after or after.startswith("\n"))


NAMED_SPEAKER = re.compile(rf"(?P<name>{NAME})\s+{SPEECH}\b")


def last_named(text, start):
    """The last person named as saying something before `start` ("he said" is them)."""
    names = [m["name"] for m in NAMED_SPEAKER.finditer(text, max(0, start - 1500), start)]
    return names[-1] if names else ""
