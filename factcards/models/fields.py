"""Field types the models share: links a reader can open safely."""

import re

from django import forms
from django.core.validators import URLValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

web_url = URLValidator(
    schemes=["http", "https"],
    message=_(
        "Enter a full web address that starts with http:// or https:// (other kinds of "
        "link, such as javascript: or ftp:, are not allowed)."
    ),
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


# Typing stands in for typography: straight quotes, hyphens, three dots, plain spaces.
TYPED_FOR = {
    **dict.fromkeys("‘’‚‛′", "'"),
    **dict.fromkeys("“”„‟″«»", '"'),
    **dict.fromkeys("‐‑‒–—―−", "-"),
    "…": "...",
}


def typed_form(text, fold_case=False):
    """`text` as typed on a keyboard (plain punctuation, single spaces; lower case too with
    fold_case), and for each of its characters the index of the original it came from."""
    chars, origin = [], []
    for index, char in enumerate(text):
        typed = " " if char.isspace() else TYPED_FOR.get(char, char)
        for piece in typed.lower() if fold_case else typed:
            if piece == " " and (not chars or chars[-1] == " "):
                continue
            chars.append(piece)
            origin.append(index)
    return "".join(chars), origin


def verbatim_problem(excerpt, text):
    """Why `excerpt` is not word for word in `text`, for the person who typed it (None when
    it is): the source's exact words when only punctuation, spacing or capitals differ, else
    where the two part, in the source's own characters."""
    if squash_space(excerpt) in squash_space(text):
        return None
    excerpt = excerpt.strip()
    for fold_case, what in [
        (False, gettext("punctuation or spacing")),
        (True, gettext("capitals, punctuation or spacing")),
    ]:
        typed, _typed_origin = typed_form(excerpt, fold_case)
        source, origin = typed_form(text, fold_case)
        start = source.find(typed)
        if typed and start >= 0:
            exact = text[origin[start] : origin[start + len(typed) - 1] + 1]
            return gettext(
                "Only %(what)s differ from the source (a hyphen for a dash, straight quotes for "
                "curly ones…). Use the source's exact words, which are: %(exact)s"
            ) % {"what": what, "exact": exact}
    typed, typed_origin = typed_form(excerpt, True)
    source, origin = typed_form(text, True)
    matched = 0
    while matched < len(typed) and typed[: matched + 1] in source:
        matched += 1
    if matched < 12:
        return gettext(
            "This excerpt does not appear word for word in the source's text. Copy it "
            "exactly, without paraphrase."
        )
    at = source.find(typed[:matched]) + matched
    # Back to the characters as written: the source's (an em dash stays one), and yours.
    theirs_at = origin[at] if at < len(origin) else len(text)
    yours_at = typed_origin[matched] if matched < len(typed_origin) else len(excerpt)
    before = text[max(0, theirs_at - 30) : theirs_at]
    return gettext(
        "This excerpt follows the source up to “…%(before)s”, then you typed "
        "“%(yours)s” where the source has "
        "“%(theirs)s”. Copy it exactly, without paraphrase."
    ) % {
        "before": before,
        "yours": excerpt[yours_at : yours_at + 25],
        "theirs": text[theirs_at : theirs_at + 25],
    }


# Query parameters that say how a reader arrived, not which article it is.
TRACKING = ("utm_", "fbclid", "gclid", "mc_", "ocid", "cmpid", "ref", "smid")


def link_key(url):
    """A link as it names an article: no scheme, no "www.", no trailing slash, no fragment,
    no tracking parameters, lower-case host. Two links to one article share it."""
    from urllib.parse import urlencode, urlsplit

    if not url:
        return ""
    parts = urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.")
    host = host.removesuffix({"http": ":80", "https": ":443"}.get(parts.scheme.lower(), "\0"))
    query = untracked(parts.query)
    path = parts.path.rstrip("/")
    return f"{host}{path}" + (f"?{urlencode(sorted(query))}" if query else "")


def untracked(query):
    """A query string's parameters, less those that only say how a reader arrived."""
    from urllib.parse import parse_qsl

    return [
        (key, value)
        for key, value in parse_qsl(query, keep_blank_values=True)
        if not key.lower().startswith(TRACKING)
    ]
