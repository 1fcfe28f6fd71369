"""Enqueue the next run of every periodic job, once: run before each worker starts."""

from django.core.management.base import BaseCommand

from factcards.tasks import PERIODIC, schedule_periodic


class Command(BaseCommand):
    help = "Enqueue the next run of each periodic job (the weekly check digest), if not yet."

    def handle(self, *args, **options):
        schedule_periodic()
        self.stdout.write(f"Periodic jobs scheduled: {', '.join(PERIODIC)}.")
