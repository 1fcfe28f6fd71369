"""What each member of the desk wants to hear about."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DeskPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="desk_preference",
        verbose_name=_("user"),
    )
    email_me = models.BooleanField(
        _("email me about my cards and the review queue"),
        default=True,
        help_text=_(
            "Cards submitted for review (editors), cards returned to you, and your "
            "cards published, corrected or retracted."
        ),
    )

    class Meta:
        verbose_name = _("desk preference")
        verbose_name_plural = _("desk preferences")

    def __str__(self):
        return f"{self.user}: {'emails' if self.email_me else 'no emails'}"

    @classmethod
    def wants_email(cls, user):
        return (
            bool(user.email)
            and user.is_active
            and not cls.objects.filter(user=user, email_me=False).exists()
        )
