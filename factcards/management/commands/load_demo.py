"""Load the demo cards built from five articles; running it again changes nothing."""

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from factcards.models import CONTENT_FIELDS, Citation, FactCard, Place, Source, Topic

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"
# The typed fields come from the data as they are; dates and numbers are parsed below.
CARD_FIELDS = [
    name
    for name in CONTENT_FIELDS
    if name not in ("slug", "value", "value_date", "value_date_end", "as_of")
]


def parse_date(text):
    return date.fromisoformat(text) if text else None


class Command(BaseCommand):
    help = "Load the demo sources and cards (idempotent: what exists already is left alone)."

    def handle(self, *args, **options):
        data = json.loads((DEMO_DIR / "demo.json").read_text(encoding="utf-8"))
        with transaction.atomic():
            users = self.load_users(data["users"])
            sources = self.load_sources(data["sources"])
            topics = {
                t["slug"]: Topic.objects.get_or_create(slug=t["slug"], defaults=t)[0]
                for t in data["topics"]
            }
            places = {
                p["slug"]: Place.objects.get_or_create(slug=p["slug"], defaults=p)[0]
                for p in data["places"]
            }
            created = 0
            for entry in data["cards"]:
                if not FactCard.objects.filter(slug=entry["slug"]).exists():
                    self.load_card(entry, users, sources, topics, places)
                    created += 1
        self.stdout.write(
            f"Demo data: {created} cards added, {len(data['cards']) - created} already there."
        )

    def load_users(self, entries):
        users = {}
        for entry in entries:
            user, made = get_user_model().objects.get_or_create(
                username=entry["username"],
                defaults={
                    "first_name": entry["first_name"],
                    "last_name": entry["last_name"],
                    "is_staff": True,
                },
            )
            if made:
                # Demo authors exist to own the demo cards; nobody signs in as them.
                user.set_unusable_password()
                user.save()
                user.groups.add(Group.objects.get(name=entry["group"]))
            users[entry["group"]] = user
        return users

    def load_sources(self, entries):
        sources = {}
        for entry in entries:
            fields = {
                "outlet": entry["outlet"],
                "byline": entry["byline"],
                "url": entry["url"],
                "published_on": parse_date(entry["published_on"]),
                "full_text": (DEMO_DIR / "articles" / entry["text"]).read_text(encoding="utf-8"),
            }
            sources[entry["key"]], _ = Source.objects.get_or_create(
                title=entry["title"], defaults=fields
            )
        return sources

    def load_card(self, entry, users, sources, topics, places):
        """Create the card as the reporter, then take it through the real workflow."""
        reporter, editor = users["Reporters"], users["Editors"]
        card = FactCard(
            slug=entry["slug"],
            created_by=reporter,
            value=Decimal(entry["value"]) if entry.get("value") else None,
            value_date=parse_date(entry.get("value_date")),
            value_date_end=parse_date(entry.get("value_date_end")),
            **{name: entry.get(name, "") for name in CARD_FIELDS},
        )
        self.validate(card, entry["slug"])
        card.save()
        card.changed_by = reporter  # the author of the tags and citations that follow
        card.topics.set(topics[slug] for slug in entry["topics"])
        card.places.set(places[slug] for slug in entry["places"])
        for position, quoted in enumerate(entry["citations"]):
            citation = Citation(
                card=card,
                source=sources[quoted["source"]],
                excerpt=quoted["excerpt"],
                relation=quoted["relation"],
                stated_value=quoted.get("stated_value", ""),
                position=position,
            )
            self.validate(citation, entry["slug"])
            citation.save(by=reporter)
        if entry["status"] in (FactCard.Status.IN_REVIEW, FactCard.Status.PUBLISHED):
            card.submit(reporter)
        if entry["status"] == FactCard.Status.PUBLISHED:
            card.publish(editor)

    def validate(self, obj, slug):
        try:
            obj.full_clean(exclude=["slug"] if isinstance(obj, FactCard) else None)
        except Exception as error:
            raise CommandError(f"Demo card {slug!r} is not valid: {error}") from error
