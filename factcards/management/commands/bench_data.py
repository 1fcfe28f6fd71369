"""A newsroom's archive at scale, for benchmarks: synthetic, deterministic, clearly not news.

Statements and excerpts draw on a 20,000-word made-up vocabulary with Zipf-like frequencies,
so a common word matches about a tenth of the cards, a middling one a few hundred, a rare one
a handful. Outlets, links and names are synthetic (links on the reserved .invalid domain):
nothing here may be mistaken for the demo's sourced facts.
"""

import datetime
import itertools
import json
import random
import time
from bisect import bisect
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from factcards.models import Citation, FactCard, Place, Publication, Source, Topic, facets

SYLLABLES = [a + b for a in "bdfgklmnprstvz" for b in ("a", "e", "i", "o", "u", "ai", "or")]
KINDS = ["figure"] * 5 + ["date"] * 3 + ["quote"] + ["document"]
UNITS = ["people", "soldiers", "vehicles", "villages", "kilometres", "tonnes", "displaced"]
WORDS_FILE = Path(__file__).resolve().parents[3] / "bench" / "results" / "words.json"


class Vocabulary:
    """Made-up words with Zipf-like frequencies: the word of rank r weighs 1 / (r + 20)."""

    def __init__(self, rng, size=20_000):
        words = set()
        while len(words) < size:
            words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
        self.words = sorted(words)
        rng.shuffle(self.words)
        weights = [1 / (rank + 20) for rank in range(size)]
        self.cumulative = list(itertools.accumulate(weights))
        self.rng = rng

    def sentence(self, low, high):
        total = self.cumulative[-1]
        picks = [
            self.words[bisect(self.cumulative, self.rng.random() * total)]
            for _ in range(self.rng.randint(low, high))
        ]
        return " ".join(picks).capitalize() + "."


class Command(BaseCommand):
    help = "Fill the database with a synthetic archive of published cards for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--cards", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--words", type=Path, default=WORDS_FILE, help="where to write the probe words"
        )

    def handle(self, *args, cards, seed, words, **options):
        started = time.monotonic()
        rng = random.Random(seed)
        vocabulary = Vocabulary(rng)
        with transaction.atomic():
            author, editor = self.users()
            outlets = [f"Bench Outlet {n:03}" for n in range(400)]
            sources = self.sources(rng, vocabulary, max(cards // 5, 10), outlets)
            topics = self.tags(Topic, "Bench topic", 200)
            places = self.tags(Place, "Bench place", 500)
            made = self.cards(rng, vocabulary, cards, author, editor)
            self.citations(rng, made, sources)
            self.tagging(rng, made, topics, places)
            facets.recount()  # bulk inserts skip the publication step that keeps them
            Publication.bump()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # the planner's statistics, as after any bulk load
        probes = self.probe_words(set(vocabulary.words))
        words.parent.mkdir(exist_ok=True)
        words.write_text(json.dumps(probes, indent=2) + "\n")
        self.stdout.write(
            f"{cards:,} cards, {len(sources):,} sources, {len(outlets)} outlets in "
            f"{time.monotonic() - started:.0f} s on {connection.vendor}; search words: {probes}"
        )

    def users(self):
        User = get_user_model()
        author, _ = User.objects.get_or_create(
            username="bench-reporter", defaults={"is_staff": True}
        )
        editor, _ = User.objects.get_or_create(username="bench-editor", defaults={"is_staff": True})
        return author, editor

    def sources(self, rng, vocabulary, count, outlets):
        first = datetime.date(1995, 1, 1)
        rows = []
        for n in range(count):
            outlet = outlets[min(int(rng.paretovariate(1.2)) - 1, len(outlets) - 1)]
            agency = rng.random() < 0.15
            rows.append(
                Source(
                    outlet="" if agency else outlet,
                    byline=outlet if agency else "",
                    title=vocabulary.sentence(5, 12)[:300],
                    url=f"https://bench-{n}.invalid/article",
                    published_on=first + datetime.timedelta(days=rng.randrange(30 * 365)),
                )
            )
        return QuerySet(Source).bulk_create(rows, batch_size=2000)

    def tags(self, model, label, count):
        prefix = f"bench-{model.__name__.lower()}"
        rows = [model(name=f"{label} {n:03}", slug=f"{prefix}-{n:03}") for n in range(count)]
        return QuerySet(model).bulk_create(rows, batch_size=2000)

    def cards(self, rng, vocabulary, count, author, editor):
        """Published cards over thirty years; a tenth still drafts. Seeded past the workflow,
        as a restore would be: this is a fixture, not an edit."""
        now = timezone.now().replace(microsecond=0)
        rows = []
        for n in range(count):
            kind = rng.choice(KINDS)
            published = rng.random() < 0.9
            when = now - datetime.timedelta(seconds=rng.randrange(30 * 365 * 86400))
            card = FactCard(
                slug=f"bench-{n}",
                statement=vocabulary.sentence(8, 25)[:280],
                context=vocabulary.sentence(10, 40) if rng.random() < 0.5 else "",
                kind=kind,
                status="published" if published else "draft",
                created_by=author,
                last_edited_by=author,
                published_by=editor if published else None,
                published_at=when if published else None,
            )
            # Excerpts are drawn now so that the search text is written with the card: no
            # mass UPDATE afterwards, no dead rows for the planner to wade through.
            card.excerpts = [vocabulary.sentence(10, 30) for _ in range(rng.randint(1, 6))]
            if kind == "figure":
                card.value, card.unit = rng.randrange(1, 200_000), rng.choice(UNITS)
            elif kind == "date":
                card.value_date = datetime.date(1995 + rng.randrange(30), 1, 1)
                card.date_precision = "year"
            elif kind == "quote":
                card.speaker = vocabulary.sentence(2, 2).rstrip(".")
                card.quotation = vocabulary.sentence(5, 15)
            else:
                card.document_title = vocabulary.sentence(3, 8)
            card.search_text = " ".join([card.search_document(), *card.excerpts])
            rows.append(card)
        return QuerySet(FactCard).bulk_create(rows, batch_size=2000)

    def citations(self, rng, cards, sources):
        rows = []
        for card in cards:
            differs = rng.random() < 0.05
            for position, excerpt in enumerate(card.excerpts):
                relation = "differs" if differs and position == 1 else "supports"
                rows.append(
                    Citation(
                        card_id=card.pk,
                        source=rng.choice(sources),
                        excerpt=excerpt,
                        relation=relation,
                        stated_value="around 120,000" if relation == "differs" else "",
                        position=position,
                    )
                )
            if len(rows) > 20_000:
                QuerySet(Citation).bulk_create(rows)
                rows = []
        QuerySet(Citation).bulk_create(rows)

    def tagging(self, rng, cards, topics, places):
        for field, tags, most in (("topics", topics, 3), ("places", places, 2)):
            through = getattr(FactCard, field).through
            column = through._meta.get_field(field[:-1]).attname
            rows = [
                through(factcard_id=card.pk, **{column: tag.pk})
                for card in cards
                for tag in rng.sample(tags, rng.randint(0 if field == "places" else 1, most))
            ]
            QuerySet(through).bulk_create(rows, batch_size=5000)

    def probe_words(self, vocabulary):
        """A common, a middling and a rare word, by how many published cards' text has them."""
        counts = {}
        for text in FactCard.objects.published().values_list("search_text", flat=True).iterator():
            for word in set(text.lower().replace(".", " ").split()) & vocabulary:
                counts[word] = counts.get(word, 0) + 1
        total = max(FactCard.objects.published().count(), 1)

        def nearest(share):
            return min(counts, key=lambda word: abs(counts[word] / total - share))

        rare = [word for word, n in counts.items() if 3 <= n <= 8]
        return {
            "common": nearest(0.10),
            "middling": nearest(0.005),
            "rare": sorted(rare)[0] if rare else nearest(0),
        }
