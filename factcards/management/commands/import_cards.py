"""Read cards from JSON Lines (as export_cards writes them) as drafts of a named user."""

import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from factcards.exchange import Importer, ImportErrors, read_lines

SHOWN_PROBLEMS = 50


class Command(BaseCommand):
    help = (
        "Import cards from a JSON Lines file, each as a draft created by --user, whatever the "
        "file says of its status. The whole file is checked first; then every card is written "
        "in one transaction, or none is. A card whose slug is already here (whatever its "
        "case) is left as it is, so importing a file twice adds nothing the second time. "
        "Sources are matched to the ones already here (same link, or same headline and "
        "outlet), else added."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The JSON Lines file (UTF-8), or - for stdin.")
        parser.add_argument("--user", required=True, help="Who the imported drafts belong to.")
        parser.add_argument(
            "--progress",
            action="store_true",
            help="Show a progress bar (shown anyway when stderr is a terminal).",
        )

    def handle(self, *args, file, user, progress=False, **options):
        author = self.author(user)
        lines = self.read(file)
        show = progress or self.stderr.isatty()
        # First every line, so that all of the file's problems are told at once.
        problems, slugs = [], {}
        for number, data, errors in self.bar(read_lines(lines), show, len(lines), "Checking"):
            problems += [f"line {number}: {message}" for message in errors]
            if data:
                slug = data["slug"].lower()  # one address whatever its case
                if slug in slugs:
                    problems.append(
                        f"line {number}: slug: line {slugs[slug]} has this slug already."
                    )
                slugs.setdefault(slug, number)
        if not problems:
            importer = Importer(author)
            valid = ((n, data) for n, data, _ in read_lines(lines))
            try:
                importer.write(self.bar(valid, show, len(slugs), "Importing"))
            except ImportErrors as error:
                problems = error.messages
        if problems:
            for message in problems[:SHOWN_PROBLEMS]:
                self.stderr.write(message)
            if len(problems) > SHOWN_PROBLEMS:
                self.stderr.write(f"… and {len(problems) - SHOWN_PROBLEMS} more.")
            raise CommandError(
                f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {file}: "
                "nothing was imported."
            )
        self.stdout.write(self.summary(importer, author))

    def bar(self, items, show, total, label):
        if not show:
            return items
        from tqdm import tqdm

        return tqdm(items, total=total, desc=label, unit="card", file=self.stderr._out)

    def author(self, username):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}: name the login the drafts belong to.")
        if not (user.is_active and user.has_perm("factcards.add_factcard")):
            raise CommandError(
                f"{username} may not create cards: choose a reporter or an editor "
                "(an active user in the group Reporters or Editors)."
            )
        return user

    def read(self, file):
        """The file's lines: split at newlines only (str.splitlines would also split at the
        U+2028 or U+0085 a JSON string may hold), a byte order mark at the start allowed."""
        try:
            if file == "-":
                return sys.stdin.read().removeprefix("\ufeff").split("\n")
            with open(file, encoding="utf-8-sig") as handle:
                return handle.read().split("\n")
        except OSError as error:
            raise CommandError(f"Can't read {file}: {error.strerror}.") from error
        except UnicodeDecodeError as error:
            raise CommandError(
                f"{file} is not UTF-8 text (byte {error.start}): nothing was imported."
            ) from error

    def summary(self, importer, author):
        added, present = len(importer.added), len(importer.present)
        if not added:
            return (
                f"Nothing imported: {cards(present)} in the file, all already here (same slug)."
                if present
                else "Nothing imported: the file has no cards."
            )
        text = (
            f"Imported {cards(added)} as drafts of {author.get_username()} "
            f"({importer.sources_added} sources added, {importer.sources_matched} citations of "
            "sources already here)."
        )
        if present:
            text += f" {cards(present)} already here (same slug), left as they are."
        return text


def cards(n):
    return f"{n} card{'s' if n != 1 else ''}"
