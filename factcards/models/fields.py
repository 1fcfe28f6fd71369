"""Field types the models share: links a reader can open safely."""

import re

from django import forms
from django.core.validators import URLValidator
from django.db import models

web_url = URLValidator(
    schemes=["http", "https"],
    message="Enter a full web address that starts with http:// or https:// (other kinds of "
    "link, such as javascript: or ftp:, are not allowed).",
)


class WebURLFormField(forms.URLField):
    default_validators = [web_url]
    default_error_messages = {"invalid": web_url.message}


class WebURLField(models.URLField):
    """A URL that must be http or https: a source link a reader can open safely."""

    default_validators = [web_url]

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        # Migrations name it where it was first defined; the package re-exports it there.
        return name, "factcards.models.WebURLField", args, kwargs

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": WebURLFormField, **kwargs})


def squash_space(text):
    return re.sub(r"\s+", " ", text).strip()
