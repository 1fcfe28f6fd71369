"""Write cards as JSON Lines (factcards/exchange.py): by default the cards on record."""

import os

from django.core.management.base import BaseCommand, CommandError

from factcards.exchange import cards_to_export, dump_line
from factcards.models import FactCard

ON_RECORD = [FactCard.Status.PUBLISHED, FactCard.Status.RETRACTED]


def private_file(path):
    """The file, opened for writing, readable by its owner only if new: --all writes drafts."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return open(descriptor, "w", encoding="utf-8")  # noqa: SIM115


class Command(BaseCommand):
    help = (
        "Write cards as JSON Lines, one card a line with its topics, places, citations (each "
        "with its source) and corrections, ordered by slug. By default the cards on record "
        "(published and retracted); pending revisions are never written."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="Write to this file instead of stdout.")
        which = parser.add_mutually_exclusive_group()
        which.add_argument(
            "--status",
            action="append",
            choices=FactCard.Status.values,
            help="Only cards with this status (repeat for several).",
        )
        which.add_argument(
            "--all", action="store_true", help="Every card, drafts and cards in review too."
        )
        parser.add_argument(
            "--progress",
            action="store_true",
            help="Show a progress bar (shown anyway when stderr is a terminal).",
        )

    def with_progress(self, cards, show):
        """The cards, read 500 at a time; with a tqdm bar on stderr when `show`."""
        if not show:
            return cards.iterator(chunk_size=500)
        from tqdm import tqdm

        rows = cards.iterator(chunk_size=500)
        return tqdm(rows, total=cards.count(), desc="Exporting", unit="card", file=self.stderr._out)

    def handle(self, *args, output=None, status=None, all=False, progress=False, **options):
        statuses = FactCard.Status.values if all else (status or ON_RECORD)
        cards = cards_to_export(statuses)
        try:
            out = private_file(output) if output else None
        except OSError as error:
            raise CommandError(f"Can't write {output}: {error.strerror}.") from error
        written = 0
        try:
            for card in self.with_progress(cards, progress or self.stderr.isatty()):
                line = dump_line(card) + "\n"
                out.write(line) if out else self.stdout.write(line, ending="")
                written += 1
        finally:
            if out:
                out.close()
        if output:
            noun = "card" if written == 1 else "cards"
            self.stderr.write(f"{written} {noun} written to {output}.")
