"""Requests per second over HTTP: gunicorn with production settings on loopback, under wrk.

    make bench                                       (5,000 cards in a throwaway SQLite file)
    .venv/bin/python bench/serve.py --cards 100000
    DATABASE_URL=postgres://… .venv/bin/python bench/serve.py --reuse   (an archive already built)

Starts gunicorn (DEBUG off, the production static files, 2 sync workers: one per core here)
on a free port, warms each URL, then runs wrk for --seconds against it with gzip accepted, as
browsers do. Prints a table of requests per second, latency percentiles and the ratio to the
static file (whitenoise, the same server: the ceiling), and for each page the SQL queries at
page sizes 5 and 50 and the compressed size; writes it all to bench/results/http-<db>.json.
"""

import argparse
import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer {url} within {seconds} s")


def wrk(url, seconds, connections, headers=(), script="report.lua", paths=()):
    """wrk's summary (bench/report.lua's JSON line); `paths`, for a script that takes
    them, are requested in turn."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    command += ["-s", str(ROOT / "bench" / script), "-H", "Accept-Encoding: gzip"]
    for header in headers:
        command += ["-H", header]
    command += [url, *(["--", *paths] if paths else [])]
    out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


def in_process(paths):
    """SQL queries at page sizes 5 and 50 and the gzip'd size, per path, warm."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from factcards import views

    client, found = Client(HTTP_ACCEPT_ENCODING="gzip"), {}
    for size in (5, 50):
        views.PAGE_SIZE = size
        for name, (path, headers) in paths.items():
            client.get(path, **headers)  # the first request after a size change computes
            with CaptureQueriesContext(connection) as queries:
                response = client.get(path, **headers)
            assert response.status_code in (200, 304), (path, response.status_code)
            body = response.content
            if response.get("Content-Encoding") != "gzip":
                body = gzip.compress(body)
            found.setdefault(name, {})[f"queries_{size}"] = len(queries)
            found[name]["bytes_gzip"] = len(body) if response.status_code == 200 else 0
    views.PAGE_SIZE = 20
    return found


def arguments(doc, seconds, connections, output):
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--cards", type=int, default=5000)
    parser.add_argument("--seconds", type=int, default=seconds)
    parser.add_argument("--connections", type=int, default=connections)
    parser.add_argument("--reuse", action="store_true", help="use the archive already there")
    parser.add_argument("--output", type=Path, help=f"default: bench/results/{output}")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk (Debian's package).")
    return args


def prepare(args):
    """Production settings (and the bare view) in this process; the archive built unless
    --reuse; the static files collected for whitenoise."""
    workdir = tempfile.mkdtemp(prefix="factcards-bench-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite3")
    os.environ.update(
        DJANGO_DEBUG="false",
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,testserver",
        DJANGO_SECURE_COOKIES="false",
        DJANGO_LOG_LEVEL="WARNING",
    )
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-not-a-secret")
    import django

    django.setup()
    from django.core.management import call_command

    if not args.reuse:
        call_command("migrate", verbosity=0)
        call_command("bench_data", cards=args.cards)
    call_command("collectstatic", "--no-input", verbosity=0)


def start_gunicorn():
    """gunicorn with this process's environment on a free port, answering: (base URL,
    process)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "newsroom.wsgi",
            f"--bind=127.0.0.1:{port}",
            "--workers=2",
            "--log-level=warning",
            "--no-control-socket",  # several gunicorns at once would share one socket path
        ],
        cwd=ROOT,
    )
    try:
        wait_for(f"{base}/bench/bare")
    except BaseException:
        server.terminate()
        raise
    return base, server


def main():
    args = arguments(__doc__, seconds=10, connections=16, output="http-<db>.json")

    prepare(args)
    from django.db import connection

    from factcards.models import FactCard

    words = json.loads((ROOT / "bench" / "results" / "words.json").read_text())
    slug, topic = (
        FactCard.objects.published().order_by("pk").values_list("slug", "topics__slug").first()
    )
    total = FactCard.objects.published().count()

    base, server = start_gunicorn()
    try:
        embed = f"/embed/{slug}/"
        with urllib.request.urlopen(base + embed) as response:
            etag = response.headers["ETag"]
        pages = {
            "static file": ("/static/factcards/embed.css", ()),
            "bare view": ("/bench/bare", ()),
            "list": ("/", ()),
            "list, two filters": (f"/?kind=figure&topic={topic}", ()),
            "search, common word": (f"/?q={words['common']}", ()),
            "card page": (f"/cards/{slug}/", ()),
            "embed (warm)": (embed, ()),
            "embed 304": (embed, (f"If-None-Match: {etag}",)),
            "oembed": (f"/oembed/?url={base}/cards/{slug}/", ()),
        }
        counted = in_process(
            {
                name: (
                    path.replace(base, "http://testserver"),
                    {f"HTTP_{h.split(':')[0].upper().replace('-', '_')}": h.split(": ")[1]}
                    if (h := next(iter(headers), None))
                    else {},
                )
                for name, (path, headers) in pages.items()
                if name not in ("static file", "bare view")
            }
        )
        rows = []
        for name, (path, headers) in pages.items():
            for _ in range(20):  # warm: caches filled, connections open
                request = urllib.request.Request(
                    base + path, headers=dict(h.split(": ", 1) for h in headers)
                )
                try:
                    urllib.request.urlopen(request).read()
                except urllib.error.HTTPError as error:
                    if error.code != 304:
                        raise
            result = wrk(base + path, args.seconds, args.connections, headers)
            rows.append({"page": name, "path": path, **result, **counted.get(name, {})})
        # What the embed registry adds: each view in a browser is the embed and, once it is
        # shown, a report of the article around it (measured here beside the embed alone).
        for name, mode, requests_per_view in (
            ("registry report", "report", 1),
            ("embed + report (views)", "view", 2),
        ):
            result = wrk(
                base + "/registry/seen",
                args.seconds,
                args.connections,
                script="views.lua",
                paths=[slug, mode],
            )
            result["rps"] /= requests_per_view
            rows.append({"page": name, "path": "/registry/seen", **result})
    finally:
        server.terminate()
        server.wait(timeout=30)

    static = rows[0]["rps"]
    print(
        f"{total:,} published cards on {connection.vendor}; gunicorn, 2 sync workers; wrk "
        f"{args.connections} connections, {args.seconds} s each, gzip accepted"
    )
    header = (
        f"{'page':22} {'req/s':>8} {'× static':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'errors':>6} {'q@5':>4} {'q@50':>4} {'KB gz':>6}"
    )
    print(header)
    for row in rows:
        row["ratio_to_static"] = round(row["rps"] / static, 2)
        print(
            f"{row['page']:22} {row['rps']:8.0f} {row['ratio_to_static']:8.2f} "
            f"{row['p50_us'] / 1000:7.1f} {row['p95_us'] / 1000:7.1f} {row['p99_us'] / 1000:7.1f} "
            f"{row['errors']:6} {row.get('queries_5', ''):>4} {row.get('queries_50', ''):>4} "
            f"{row.get('bytes_gzip', 0) / 1024:6.1f}"
        )
    write_report(args, "http", {"cards": total, "pages": rows})


def write_report(args, name, data):
    """The run's figures as JSON: --output, else bench/results/<name>-<database>.json."""
    from django.db import connection

    out = args.output or ROOT / "bench" / "results" / f"{name}-{connection.vendor}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {"database": connection.vendor, "seconds": args.seconds, **data}
    out.write_text(json.dumps({**report, "connections": args.connections}, indent=2))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
