from django.contrib.sitemaps import Sitemap

from .models import FactCard


class CardSitemap(Sitemap):
    changefreq = "weekly"

    def items(self):
        return FactCard.objects.published().order_by("pk")

    def lastmod(self, card):
        return card.last_updated
