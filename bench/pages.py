"""Time the public pages in-process against a newsroom archive built by `bench_data`.

    make bench                                   (5,000 cards in a throwaway SQLite file)
    .venv/bin/python bench/pages.py --cards 100000
    DATABASE_URL=postgres://… .venv/bin/python bench/pages.py --reuse   (an archive already built)

Requests each page through Django's test client with DEBUG off: once cold (the first request
after a publication, which computes what later ones reuse), then --runs times warm, and prints
the cold time, the warm median and 95th percentile, the SQL queries of a warm request and the
compressed size; writes the same as JSON to bench/results/pages-<database>.json. It measures
the app in-process, not a web server.
"""

import argparse
import gzip
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--reuse", action="store_true", help="use the archive already there")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="factcards-bench-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite3")
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-not-a-secret")
    os.environ["DJANGO_SECURE_COOKIES"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from factcards.models import FactCard

    settings.ALLOWED_HOSTS = ["*"]
    settings.STORAGES["staticfiles"]["BACKEND"] = (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
    if not args.reuse:
        call_command("migrate", verbosity=0)
        call_command("bench_data", cards=args.cards)
    words = json.loads((ROOT / "bench" / "results" / "words.json").read_text())
    card = FactCard.objects.published().order_by("pk").values_list("slug", "topics__slug").first()
    total = FactCard.objects.published().count()
    slug, topic = card
    urls = {
        "list": "/",
        "list, two filters": f"/?kind=figure&topic={topic}",
        "list, page 2000": "/?page=2000",
        "search, common word": f"/?q={words['common']}",
        "search, middling word": f"/?q={words['middling']}",
        "search, rare word": f"/?q={words['rare']}",
        "card page": f"/cards/{slug}/",
        "embed": f"/embed/{slug}/",
        "oembed": f"/oembed/?url=http://testserver/cards/{slug}/",
        "feed": "/feed/",
        "sitemap": "/sitemap.xml",
        "topic timeline": f"/topics/{topic}/timeline/",
        "timeline, a decade": f"/topics/{topic}/timeline/?from=2010&to=2019",
        "timeline embed": f"/embed/timeline/{topic}/",
        "card page, Russian": f"/cards/{slug}/",
    }
    headers = {"card page, Russian": {"Accept-Language": "ru"}}
    client = Client()
    rows = []
    print(f"{total:,} published cards on {connection.vendor}, {args.runs} runs each, DEBUG off")
    print(
        f"{'page':24} {'cold ms':>8} {'median ms':>10} {'p95 ms':>8} {'queries':>8} "
        f"{'KB gz':>7}  url"
    )
    for name, url in urls.items():
        # The first request after a publication computes what the next ones reuse.
        start = time.perf_counter()
        client.get(url, headers=headers.get(name))
        cold = (time.perf_counter() - start) * 1000
        timings = []
        for _ in range(args.runs):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.get(url, headers=headers.get(name))
                timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        row = {
            "page": name,
            "url": url,
            "cold_ms": round(cold, 1),
            "median_ms": round(statistics.median(timings), 1),
            "p95_ms": round(statistics.quantiles(timings, n=20)[-1], 1),
            "queries": len(queries),
            "kb_gzip": round(len(gzip.compress(response.content)) / 1024, 1),
        }
        rows.append(row)
        print(
            f"{name:24} {row['cold_ms']:8.0f} {row['median_ms']:10.1f} {row['p95_ms']:8.1f} "
            f"{row['queries']:8} {row['kb_gzip']:7.1f}  {url}"
        )
    out = ROOT / "bench" / "results" / f"pages-{connection.vendor}.json"
    out.write_text(json.dumps({"cards": total, "runs": args.runs, "pages": rows}, indent=2))
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
