"""Topics and places: names readers filter by."""

from django.db import models

from .locking import LOCKED, WorkflowError

IN_USE_MESSAGE = (
    "Published cards carry this %(tag)s: deleting it would change them without review. "
    "Revise those cards first."
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

    def delete(self, *args, **kwargs):
        self.refuse_if_on_record()
        return super().delete(*args, **kwargs)

    def refuse_if_on_record(self):
        if self.cards.filter(status__in=LOCKED).exists():
            raise WorkflowError(
                IN_USE_MESSAGE, code="tag_in_use", params={"tag": self._meta.verbose_name}
            )


class Topic(Tag):
    pass


class Place(Tag):
    pass
