"""How a card reads, for templates: `{% load cards %}`. The wording lives in factcards.reading."""

from django import template

from factcards import reading

register = template.Library()


@register.simple_tag
def site_name():
    return reading.site_name()


register.filter("credit", reading.credit)
register.filter("full_credit", reading.full_credit)
register.filter("source_summary", reading.source_summary)
register.filter("iso_datetime", reading.iso_datetime)
register.filter("description", reading.description)
register.filter("as_of", reading.as_of)
register.filter("last_checked", reading.last_checked)
register.filter("translated_note", reading.translated_note)


@register.filter
def credits(citations):
    """Who published these citations' sources, joined: 'The Moscow Times, AFP'."""
    return ", ".join(reading.credits(citations))
