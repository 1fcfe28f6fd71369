"""Restore a backup made by `backup` into a fresh database."""

from django.core.management.base import BaseCommand

from factcards.backups import restore


class Command(BaseCommand):
    help = (
        "Load a backup made by `backup` into the configured database, which must be fresh: "
        "a new SQLite file, or an empty PostgreSQL database (createdb)."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", help="the .sqlite3 or .dump file")
        parser.add_argument("--database", default="default")

    def handle(self, *args, backup, database="default", **options):
        restore(database, backup)
        if options["verbosity"]:
            self.stdout.write(f"Restored {backup}.")
