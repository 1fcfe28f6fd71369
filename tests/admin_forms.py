"""Use the admin as a browser does: fill in its forms from the pages it served, take steps."""

import datetime

from django.contrib.messages import get_messages
from django.urls import reverse

CHANGELIST = reverse("admin:factcards_factcard_changelist")


def change_url(card):
    return reverse("admin:factcards_factcard_change", args=[card.pk])


def step_url(card, action):
    return reverse("admin:factcards_factcard_workflow", args=[card.pk, action])


def confirm(client, card, action, **data):
    """Take a step as a browser does: open its confirmation page, then send it back."""
    page = client.get(step_url(card, action))
    version = page.context["form"]["version"].value()
    return client.post(step_url(card, action), {"version": version, **data}, follow=True)


def new_card_form(**fields):
    """What the add form sends for a new card with these fields and no citations yet."""
    return {
        "kind": "figure",
        "version": "1",
        "citations-TOTAL_FORMS": "0",
        "citations-INITIAL_FORMS": "0",
        "corrections-TOTAL_FORMS": "0",
        "corrections-INITIAL_FORMS": "0",
        **fields,
    }


def messages_of(response):
    """The messages shown with this response, as one text."""
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def _value(bound_field):
    value = bound_field.value()
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return str(value)


def change_form_data(response, **changes):
    """The POST data of the change form in `response`, with `changes` applied."""
    data = {}
    form = response.context["adminform"].form
    for name in form.fields:
        data[name] = _value(form[name])
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            data[f"{formset.prefix}-{name}"] = _value(formset.management_form[name])
        for subform in formset.forms:
            for name in subform.fields:
                if name == "DELETE":
                    continue
                data[subform.add_prefix(name)] = _value(subform[name])
        # Blank extra forms stay blank, as an untouched browser form would send them.
        data[f"{formset.prefix}-TOTAL_FORMS"] = str(formset.initial_form_count())
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def source_form_data(source, **changes):
    """What the source change form sends back for `source`, with these changes."""
    from django.forms.models import model_to_dict

    from factcards.admin import SourceAdmin

    fields = [name for _, section in SourceAdmin.fieldsets for name in section["fields"]]
    data = model_to_dict(source, fields=[*fields, "version"])  # the form's hidden lock token
    return {**{key: "" if value is None else value for key, value in data.items()}, **changes}
