from django.apps import AppConfig


class FactcardsConfig(AppConfig):
    name = "factcards"
    verbose_name = "Fact cards"
