"""Time the candidate facts read from a source's text, per 1,000 words.

    make bench-intake
    .venv/bin/python bench/intake.py --repeat 10 --runs 20

On each seed article in factcards/demo/articles/, and on all five of them repeated --repeat
times (about 1,900 words × 10: a long report), reads the candidates --runs times and prints the
first (cold: the rules compiled on import) and the median time, per 1,000 words, with the number
of candidates. Needs no database.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ARTICLES = ROOT / "factcards" / "demo" / "articles"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="copies of the five, joined")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    started = time.perf_counter()
    from factcards.intake.candidates import candidates

    print(f"import: {(time.perf_counter() - started) * 1000:.1f} ms")
    texts = {path.name: path.read_text(encoding="utf-8") for path in sorted(ARTICLES.glob("*.txt"))}
    texts[f"all five ×{args.repeat}"] = "\n\n".join(list(texts.values()) * args.repeat)
    print(
        f"{'text':<16} {'words':>7} {'candidates':>10} {'first':>9} {'median':>9} "
        f"{'per 1,000 words':>16}"
    )
    for name, text in texts.items():
        words = len(text.split())
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            found = candidates(text)
            times.append(time.perf_counter() - started)
        median = statistics.median(times)
        print(
            f"{name:<16} {words:>7,} {len(found):>10,} {times[0] * 1000:>7.1f}ms "
            f"{median * 1000:>7.1f}ms {median * 1000 / words * 1000:>13.1f} ms"
        )


if __name__ == "__main__":
    main()
