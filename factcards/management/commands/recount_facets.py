"""Rebuild the list's kept facet counts from the published cards."""

from django.core.management.base import BaseCommand
from django.db import transaction

from factcards.models import Publication, facets


class Command(BaseCommand):
    help = (
        "Rebuild the public list's facet counts from the published cards: after loading "
        "rows by hand or restoring a partial backup. Publishing keeps them current itself."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            facets.recount()
            Publication.bump()  # the list's cached pages were counted the old way
        counted = facets.kept_counts()
        self.stdout.write(f"Counted {sum(counted['kind'].values()):,} published cards.")
