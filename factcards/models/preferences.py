"""What each member of the desk wants to hear about."""

from django.conf import settings
from django.db import models


class DeskPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="desk_preference"
    )
    email_me = models.BooleanField(
        "email me about my cards and the review queue",
        default=True,
        help_text="Cards submitted for review (editors), cards returned to you, and your "
        "cards published, corrected or retracted.",
    )

    class Meta:
        verbose_name = "desk preference"

    def __str__(self):
        return f"{self.user}: {'emails' if self.email_me else 'no emails'}"

    @classmethod
    def wants_email(cls, user):
        return (
            bool(user.email)
            and user.is_active
            and not cls.objects.filter(user=user, email_me=False).exists()
        )
