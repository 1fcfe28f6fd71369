"""Topics and places: names readers filter by."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .locking import LOCKED, WorkflowError

IN_USE_MESSAGE = _(
    "Published cards carry this %(tag)s: renaming or deleting it would change them without "
    "review. Add a new %(tag)s and revise those cards instead."
)


class TagQuerySet(models.QuerySet):
    def delete(self):
        for tag in self:
            tag.refuse_if_on_record()
        return super().delete()


class Tag(models.Model):
    """A name readers filter by; its slug is what the list's URL carries."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    objects = TagQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if self.pk:
            stored = type(self).objects.filter(pk=self.pk).values("name", "slug").first()
            if stored and stored != {"name": self.name, "slug": self.slug}:
                self.refuse_if_on_record()
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self.refuse_if_on_record()
        return super().delete(*args, **kwargs)

    def on_record(self):
        """Whether published (or retracted) cards carry it: then it changes only with them."""
        return self.cards.filter(status__in=LOCKED).exists()

    def refuse_if_on_record(self):
        if self.on_record():
            raise WorkflowError(
                IN_USE_MESSAGE, code="tag_in_use", params={"tag": self._meta.verbose_name}
            )


class Topic(Tag):
    class Meta(Tag.Meta):
        verbose_name = _("topic")
        verbose_name_plural = _("topics")


class Place(Tag):
    class Meta(Tag.Meta):
        verbose_name = _("place")
        verbose_name_plural = _("places")
