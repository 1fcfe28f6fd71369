from django.contrib.sitemaps import Sitemap

from .models import FactCard


class CardSitemap(Sitemap):
    changefreq = "weekly"
    limit = 5000  # links a page: small pages, listed by the sitemap index

    def items(self):
        return FactCard.objects.published().order_by("pk")

    def lastmod(self, card):
        return card.last_updated
