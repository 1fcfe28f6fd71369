"""Atom feed of newly published cards and of corrections and retractions."""

from itertools import islice
from operator import attrgetter

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import reading
from .models import Correction, FactCard

LATEST = 30


class CardFeed(Feed):
    feed_type = Atom1Feed

    def title(self):
        return _("%(site)s: new cards and corrections") % {"site": reading.site_name()}

    subtitle = gettext_lazy("Verified facts, each with its sources quoted word for word.")

    def link(self):
        return reverse("card_list")

    def items(self):
        cards = FactCard.objects.published().select_related("created_by")[:LATEST]
        corrections = Correction.objects.filter(
            card__in=FactCard.objects.on_record()
        ).select_related("card")[:LATEST]
        items = [*cards, *corrections]
        return list(islice(sorted(items, key=self.item_pubdate, reverse=True), LATEST))

    def item_title(self, item):
        if isinstance(item, Correction):
            return f"{item.get_kind_display()}: {item.card.statement}"
        return reading.headline(item)

    def item_description(self, item):
        if isinstance(item, Correction):
            return item.note
        value = reading.display_value(item)
        return f"{value}. {item.context}".strip() if value else item.context

    def item_link(self, item):
        card = item.card if isinstance(item, Correction) else item
        link = card.get_absolute_url()
        return f"{link}#correction-{item.pk}" if isinstance(item, Correction) else link

    def item_guid(self, item):
        # An Atom id must be an IRI; it stays the same whatever the site's address.
        return f"urn:factcards:{type(item).__name__.lower()}:{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return attrgetter("created_at" if isinstance(item, Correction) else "published_at")(item)

    def item_updateddate(self, item):
        return getattr(item, "revised_at", None) or self.item_pubdate(item)
