"""Add the embeds' buffered reports to the registry now, or start the worker's periodic flush."""

from django.core.management.base import BaseCommand

from factcards.registry import flush, schedule_flush


class Command(BaseCommand):
    help = (
        "Write the views the embeds reported (buffered in the registry's cache) to the "
        "database. With --schedule, enqueue the periodic flush instead (make run and the "
        "Procfile do before the worker starts; a flush already enqueued is not doubled)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--schedule", action="store_true", help="Enqueue the periodic flush for the worker."
        )

    def handle(self, *args, schedule=False, **options):
        if schedule:
            result = schedule_flush()
            self.stdout.write(
                "The registry's flush is enqueued for the worker."
                if result
                else "The registry's flush was already enqueued."
            )
            return
        self.stdout.write(f"Articles counted: {flush()}.")
