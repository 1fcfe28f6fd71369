"""Back the database up while the site runs (SQLite online backup, or pg_dump)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from factcards.backups import back_up, default_name


class Command(BaseCommand):
    # It copies database files: the models' system checks (some ask the database itself)
    # have nothing to say about that, and must not stop a restore into a new file.
    requires_system_checks = []
    help = (
        "Write a backup of the whole database while the site runs: SQLite's online backup "
        "(a .sqlite3 file) or pg_dump's custom format (a .dump file). Restore with `restore`."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", help="the file to write (default: backup-<time>.…)")
        parser.add_argument("--database", default="default")

    def handle(self, *args, output=None, database="default", **options):
        output = output or default_name(database, timezone.now().strftime("%Y%m%d-%H%M%S"))
        written = back_up(database, output)
        if options["verbosity"]:
            self.stdout.write(f"Backup written to {written} ({written.stat().st_size:,} bytes).")
