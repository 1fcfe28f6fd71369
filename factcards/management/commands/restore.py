"""Restore a backup made by `backup` into a fresh database."""

from django.core.management.base import BaseCommand

from factcards.backups import restore


class Command(BaseCommand):
    # It copies database files: the models' system checks (some ask the database itself)
    # have nothing to say about that, and must not stop a restore into a new file.
    requires_system_checks = []
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
