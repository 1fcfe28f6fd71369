"""Time the public pages against a newsroom of a few thousand cards.

    make bench            (or: DJANGO_DEBUG=true .venv/bin/python bench/pages.py --cards 5000)

Builds a throwaway SQLite database (or uses DATABASE_URL), loads the demo data, adds
synthetic published cards in bulk (a benchmark data set, not editorial work), then
requests each page through Django's test client and prints median and 95th-percentile
times and the number of queries. It measures the app, not a network or a web server.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="factcards-bench-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite3")
    os.environ.setdefault("DJANGO_DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0)
    add_cards(args.cards)

    client = Client()
    urls = [
        "/",
        "/?q=peacekeepers",
        "/?kind=figure&disagree=on&sort=sourced",
        "/?page=40",
        "/cards/armenians-who-left-karabakh/",
        "/embed/armenians-who-left-karabakh/",
        "/oembed/?url=http://testserver/cards/armenians-who-left-karabakh/",
        "/cards/armenians-who-left-karabakh.png",
        "/feed/",
    ]
    print(f"{args.cards} synthetic + 23 demo published cards, {args.runs} runs each")
    print(f"{'url':60} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for url in urls:
        timings = []
        for _ in range(args.runs):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        p95 = statistics.quantiles(timings, n=20)[-1]
        print(f"{url:60} {statistics.median(timings):10.1f} {p95:8.1f} {len(queries):8}")


def add_cards(count):
    from django.contrib.auth import get_user_model
    from django.db.models import QuerySet
    from django.utils import timezone

    from factcards.models import Citation, FactCard, Source, Topic

    author = get_user_model().objects.get(username="demo-reporter")
    editor = get_user_model().objects.get(username="demo-editor")
    sources = list(Source.objects.all())
    topics = list(Topic.objects.all())
    now = timezone.now()
    # Seeded as a restore would be, past the workflow: a fixture of published cards, not an edit.
    cards = QuerySet(FactCard).bulk_create(
        FactCard(
            slug=f"bench-{n}",
            statement=f"Benchmark card {n}: around {n * 10:,} peacekeepers were counted.",
            kind="figure",
            value=n * 10,
            unit="peacekeepers",
            qualifier="around",
            status="published",
            created_by=author,
            last_edited_by=author,
            published_by=editor,
            published_at=now,
        )
        for n in range(count)
    )
    QuerySet(Citation).bulk_create(
        Citation(
            card=card,
            source=sources[(card.pk + i) % len(sources)],
            excerpt="Nearly 2,000 Russian peacekeepers",
            position=i,
        )
        for card in cards
        for i in range(2)
    )
    through = FactCard.topics.through
    through.objects.bulk_create(
        through(factcard_id=card.pk, topic_id=topics[card.pk % len(topics)].pk) for card in cards
    )


if __name__ == "__main__":
    main()
