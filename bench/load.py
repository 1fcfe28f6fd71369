"""Load with writes: readers on the list and an embed while an editor publishes every second.

    make bench-load                        (a throwaway SQLite archive of 5,000 cards)
    .venv/bin/python bench/load.py --cards 100000
    DATABASE_URL=postgres://… .venv/bin/python bench/load.py --reuse

gunicorn as `make bench` runs it; wrk with --connections readers for --seconds, each asking
for the list (/) and a card's embed in turn. Meanwhile this process publishes one card a
second through the workflow (a draft submitted beforehand, published by another editor, as
the desk does) and, after each commit, asks the new card's embed and the list until both
show it. Prints the readers' errors and latency percentiles and the slowest publish to be
seen, and writes them to bench/results/load-<db>.json. The budget (issue 9): 0 errors, p99
at most 250 ms, each publish visible within a second.
"""

import threading
import time
import urllib.error
import urllib.request

from serve import arguments, prepare, start_gunicorn, write_report, wrk


def drafts_to_publish(count):
    """`count` cards in review, each a copy of a published card under a new slug, written by
    the benchmark's reporter: what an editor will publish, one a second."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from factcards.models import CONTENT_FIELDS, FactCard

    User = get_user_model()
    reporter, _ = User.objects.get_or_create(username="load-reporter", defaults={"is_staff": True})
    editor, _ = User.objects.get_or_create(username="load-editor", defaults={"is_staff": True})
    reporter.groups.add(Group.objects.get(name="Reporters"))
    editor.groups.add(Group.objects.get(name="Editors"))
    model = FactCard.objects.published().with_sources().order_by("pk").first()
    run = int(time.time())
    cards = []
    for number in range(count):
        card = FactCard(
            **{name: getattr(model, name) for name in CONTENT_FIELDS},
            created_by=reporter,
        )
        card.slug = f"load-{run}-{number}"
        card.statement = f"Load test card {run}-{number}: {model.statement}"
        card.save(by=reporter)
        for citation in model.citations.all():
            citation.pk, citation.card = None, card
            citation.save(by=reporter)
        card.submit(reporter)
        cards.append(FactCard.objects.get(pk=card.pk))
    return editor, cards


def seen(url, text, deadline):
    """Seconds until `url` answers 200 with `text` in it (None if not by the deadline)."""
    started = time.monotonic()
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if text in response.read().decode():
                    return time.monotonic() - started
        except (urllib.error.HTTPError, OSError):
            pass
        time.sleep(0.01)
    return None


def publish_every_second(base, editor, cards, seconds, found):
    """The editor: one publication a second for `seconds`; each one's time to be seen."""
    start = time.monotonic()
    for number, card in enumerate(cards[:seconds]):
        time.sleep(max(0.0, start + number + 1 - time.monotonic()))
        card.publish(editor)
        committed = time.monotonic()
        deadline = committed + 5
        embed = seen(f"{base}/embed/{card.slug}/", card.slug, deadline)
        listed = seen(f"{base}/", f"/cards/{card.slug}/", deadline)
        found.append(
            {
                "slug": card.slug,
                "embed_s": embed,
                "list_s": None if listed is None else time.monotonic() - committed,
            }
        )


def main():
    args = arguments(__doc__, seconds=60, connections=50, output="load-<db>.json")
    prepare(args)
    from django.db import connection

    from factcards.models import FactCard

    editor, cards = drafts_to_publish(args.seconds)
    slug = FactCard.objects.published().order_by("pk").values_list("slug", flat=True).first()
    total = FactCard.objects.published().count()
    paths = ["/", f"/embed/{slug}/"]
    base, server = start_gunicorn()
    published = []
    try:
        for path in paths:
            urllib.request.urlopen(base + path).read()
        writer = threading.Thread(
            target=publish_every_second, args=(base, editor, cards, args.seconds, published)
        )
        writer.start()
        readers = wrk(base + "/", args.seconds, args.connections, script="turns.lua", paths=paths)
        writer.join()
    finally:
        server.terminate()
        server.wait(timeout=30)

    embed_times = [p["embed_s"] for p in published]
    list_times = [p["list_s"] for p in published]
    unseen = sum(t is None for t in embed_times + list_times)
    slowest = max((t for t in embed_times + list_times if t is not None), default=None)
    print(
        f"{total:,} published cards on {connection.vendor}; gunicorn, 2 sync workers; wrk "
        f"{args.connections} connections for {args.seconds} s on {' and '.join(paths)} in turn"
    )
    print(
        f"readers: {readers['rps']:.0f} req/s, p50 {readers['p50_us'] / 1000:.1f} ms, "
        f"p95 {readers['p95_us'] / 1000:.1f} ms, p99 {readers['p99_us'] / 1000:.1f} ms, "
        f"{readers['errors']} errors"
    )
    print(
        f"writer: {len(published)} cards published, one a second; slowest to be seen in its "
        f"embed {max(filter(None, embed_times), default=0) * 1000:.0f} ms, on the list "
        f"{max(filter(None, list_times), default=0) * 1000:.0f} ms; never seen: {unseen}"
    )
    write_report(
        args,
        "load",
        {
            "cards": total,
            "readers": readers,
            "published": published,
            "slowest_seen_s": slowest,
            "never_seen": unseen,
        },
    )


if __name__ == "__main__":
    main()
