"""Topics and places: names readers filter by."""

from django.db import models


class Tag(models.Model):
    """A name readers filter by; its slug is what the list's URL carries."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name


class Topic(Tag):
    pass


class Place(Tag):
    pass
