from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class FactcardsConfig(AppConfig):
    name = "factcards"
    verbose_name = _("Fact cards")
    default = True

    def ready(self):
        from .api import cors  # noqa: F401 - connects the API's CORS rule


class NewsroomAdminConfig(admin_apps.AdminConfig):
    """Django's admin, with the editorial desk (factcards.desk) as its home page."""

    default = False
    default_site = "factcards.desk.NewsroomAdminSite"
