from django.contrib.sitemaps import Sitemap
from django.db.models import Max

from .models import FactCard


class CardSitemap(Sitemap):
    changefreq = "weekly"
    limit = 5000  # links a page: small pages, listed by the sitemap index

    def items(self):
        return FactCard.objects.published().order_by("pk")

    def lastmod(self, card):
        return card.last_updated

    def get_latest_lastmod(self):
        # Django's default reads every card for this; the database knows it at once.
        latest = FactCard.objects.published().aggregate(
            published=Max("published_at"), revised=Max("revised_at")
        )
        return max(filter(None, latest.values()), default=None)
