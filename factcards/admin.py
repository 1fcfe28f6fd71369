"""The editorial desk: reporters draft and submit, editors review, publish and retract.

The admin only asks: which steps to offer comes from factcards.workflow.steps_for, and every
save and step goes through the model, which checks the database and decides.
"""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation, IncorrectLookupParameters
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.contrib.admin.views.main import ERROR_FLAG
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from . import reading
from .articles import send_again
from .embeds import embed_codes
from .exchange import write_csv
from .intake import desk as intake
from .intake.work import source_added
from .models import (
    AUTHORED_FIELDS,
    CONTENT_FIELDS,
    ArticleCheck,
    ArticleUse,
    CardTranslation,
    Citation,
    CmsClient,
    Correction,
    EditConflict,
    FactCard,
    Place,
    Source,
    Topic,
    WebhookAttempt,
    WebhookDelivery,
)
from .models.locking import CONFLICT_MESSAGE, GONE_MESSAGE, LOCKED
from .models.sources import SOURCE_FIELDS
from .workflow import ASKS, STEPS, WHEN, WHEN_ERRORS, blockers, steps_for, take


class ForgivingAutocomplete:
    """Redraws a form whose autocomplete value was forged ("abc", an id past the column's
    range) with the field's own error, instead of failing while it looks the value up."""

    def optgroups(self, name, value, attr=None):
        key = self.field.remote_field.model._meta.pk
        return super().optgroups(name, [v for v in value if self.readable(key, v)], attr)

    @staticmethod
    def readable(key, value):
        try:
            key.run_validators(key.to_python(value))
        except (ValidationError, TypeError, ValueError):
            return False
        return True


class SafeAutocompleteSelect(ForgivingAutocomplete, AutocompleteSelect):
    pass


class InRangeChoiceField(forms.ModelChoiceField):
    """An id the column can't hold (past 2⁶³) is not a choice: an error, not a crash."""

    def to_python(self, value):
        if value not in self.empty_values and not ForgivingAutocomplete.readable(
            self.queryset.model._meta.pk, value
        ):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class InRangeMultipleChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        key = self.queryset.model._meta.pk
        for pk in value:
            if not ForgivingAutocomplete.readable(key, pk):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)


class SafeAutocompleteSelectMultiple(ForgivingAutocomplete, AutocompleteSelectMultiple):
    pass


class SafeAutocompleteFields:
    """autocomplete_fields drawn with the forgiving widgets."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs.setdefault(
                "widget",
                SafeAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using")),
            )
            kwargs.setdefault("form_class", InRangeChoiceField)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs.setdefault(
                "widget",
                SafeAutocompleteSelectMultiple(
                    db_field, self.admin_site, using=kwargs.get("using")
                ),
            )
            kwargs.setdefault("form_class", InRangeMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


def may_edit(request, obj):
    """Whether to show this card's (or source's) change form as editable. A POST is let
    through to the form, which checks the locked row: someone whose card moved on while they
    typed gets the conflict message with their text kept, not a bare 403."""
    return obj is None or obj.editable_by(request.user) or request.method == "POST"


class ReadableChanges(HistoricalRecordContextHelper):
    """A history list's changes as the desk reads values: '1,960', not '1960.0000'; '—'
    for none, not 'None'."""

    def prepare_delta_change_value(self, change, value):
        if value is None or value == "":
            return "—"
        if isinstance(value, Decimal):
            return reading.format_number(value)
        return super().prepare_delta_change_value(change, value)


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    """History pages to read, never to write: simple-history's page would revert on POST."""

    def get_historical_record_context_helper(self, request, historical_record):
        return ReadableChanges(self.model, historical_record)

    def history_view(self, request, object_id, extra_context=None):
        if not is_id(self.model, object_id):
            raise Http404
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"], "History pages are read-only.")
        if not (is_id(self.model, object_id) and is_id(self.model.history.model, version_id)):
            raise Http404
        request.reading_history = True  # every field shown as text, none as an input
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_readonly_fields(self, request, obj=None):
        if getattr(request, "reading_history", False):
            request.reading_history = False  # the fieldsets may ask for the form, which asks us
            try:
                return flatten_fieldsets(self.get_fieldsets(request, obj))
            finally:
                request.reading_history = True
        return super().get_readonly_fields(request, obj)


def is_id(model, value):
    """Whether a URL's id could be this model's primary key (not 'abc': a 404, not a 500)."""
    try:
        pk = model._meta.pk.to_python(unquote(value))
    except ValidationError:
        return False
    return -(2**63) < pk < 2**63  # both databases' largest integer


class StepForm(forms.Form):
    """A step's confirmation: the text or the date it asks for, and the version the
    confirmer saw."""

    text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4, "cols": 70}))
    version = forms.IntegerField(
        widget=forms.HiddenInput,
        error_messages={
            "required": _(
                "This confirmation came without the card's version: reload the page "
                "to see the card as it is now, then confirm again."
            ),
            "invalid": _("This confirmation page is damaged: reload it, then confirm again."),
        },
    )

    def __init__(self, *args, step, versioned=True, **kwargs):
        super().__init__(*args, **kwargs)
        if not versioned:  # a list action acts on the cards as they are now
            del self.fields["version"]
        if step.asks in ASKS:
            label, help_text, missing = ASKS[step.asks]
            field = self.fields["text"]
            field.label, field.help_text, field.required = label, help_text, True
            field.error_messages["required"] = missing
        else:
            del self.fields["text"]
        if step.asks in WHEN:
            self.fields["when"] = when_field(step.asks)


def when_field(asks):
    """The date (next check) or date and time (publication) a step asks for."""
    label, help_text, missing = WHEN[asks]
    if asks == "publish_at":
        field = forms.DateTimeField(
            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
        )
        invalid = _("Enter a date and a time, like 2026-12-24 09:30.")
    else:
        field = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        invalid = _("Enter a date, like 2026-12-24.")
    field.label, field.help_text, field.required = label, help_text, bool(missing)
    field.error_messages.update(required=missing, invalid=invalid)
    return field


class CitationInline(SafeAutocompleteFields, admin.StackedInline):
    model = Citation
    autocomplete_fields = ["source"]
    fields = [("source", "relation"), "excerpt", ("stated_value", "locator", "position")]
    extra = 0

    def get_extra(self, request, obj=None, **kwargs):
        return 0 if obj and obj.citations.exists() else 1

    def _card_editable(self, request, obj):
        return may_edit(request, obj)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._card_editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._card_editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._card_editable(request, obj)


class RecordInline(admin.TabularInline):
    """Rows a card's page shows and nobody edits there (they are written by the workflow,
    the embeds or the worker)."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CorrectionInline(RecordInline):
    model = Correction
    fields = ["created_at", "kind", "note", "changed", "created_by"]


class ArticleUseInline(RecordInline):
    """“Used in”: the articles that embed or cite the card (seen by its embeds, registered by
    a CMS, or added by hand from the “Add an article” link)."""

    model = ArticleUse
    verbose_name = "used in"
    verbose_name_plural = "used in"
    fields = ["url", "how", "first_seen", "last_seen", "views"]
    show_change_link = True


class GuardedForm(forms.ModelForm):
    """A change form that, before saving, reads the stored row under its lock (the admin
    saves inside a transaction) and refuses, with the typed form kept, when the object
    changed since it was opened or is no longer this user's to edit."""

    user = None  # set per request by GuardedAdmin.get_form

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            model = type(self.instance)
            stored = model.objects.filter(pk=self.instance.pk)
            if transaction.get_connection().in_atomic_block:
                stored = stored.select_for_update(of=("self",))
            stored = stored.first()
            if stored is None:
                raise EditConflict(getattr(model, "gone_message", GONE_MESSAGE), code="gone")
            stored._require_author(self.user)
            if cleaned.get("version") != stored.version:
                message = getattr(model, "conflict_message", CONFLICT_MESSAGE)
                raise EditConflict(message, code="conflict")
        return cleaned


class SafeActionsMixin:
    """A list action on a forged selection (not ids, or ids out of range) is a message."""

    def response_action(self, request, queryset, *args, **kwargs):
        selected = request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME)
        if not all(is_id(self.model, pk) for pk in selected):
            message = _("Select items from the list, then an action.")
            self.message_user(request, message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset, *args, **kwargs)


class GuardedAdmin(SafeAutocompleteFields, SafeActionsMixin, ReadOnlyHistoryAdmin):
    """Change forms for objects with a version and an author rule (cards, sources)."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            # A save that lost a race, or a rule the form could not see: nothing was written.
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and may_edit(request, obj)

    def save_model(self, request, obj, form, change):
        obj.changed_by = request.user
        super().save_model(request, obj, form, change)


class FactCardAdminForm(GuardedForm):
    class Meta:
        model = FactCard
        fields = [*CONTENT_FIELDS, "check_by", "topics", "places", "correction_note", "version"]
        widgets = {
            "statement": forms.Textarea(attrs={"rows": 2, "cols": 80, "maxlength": 280}),
            "context": forms.Textarea(attrs={"rows": 3}),
            "quotation": forms.Textarea(attrs={"rows": 3}),
            "value_note": forms.Textarea(attrs={"rows": 2}),
            "correction_note": forms.Textarea(attrs={"rows": 2}),
            "version": forms.HiddenInput,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        value = self.initial.get("value")
        if isinstance(value, Decimal):  # 1960, not the column's 1960.0000
            self.initial["value"] = format(value.normalize(), "f")


class SourceAdminForm(GuardedForm):
    same_source_anyway = forms.BooleanField(
        required=False,
        label=_("It is another source: add it anyway"),
        help_text=_("Tick only if the source that looks the same is a different one."),
    )

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk and not cleaned.get("same_source_anyway"):
            candidate = Source(**{k: cleaned.get(k) or "" for k in ("title", "outlet", "url")})
            existing = candidate.duplicates().first()
            if existing:
                link = reverse("admin:factcards_source_change", args=[existing.pk])
                raise ValidationError(
                    format_html(
                        _(
                            'This looks like a source already here: <a href="{}">{}</a>. Cite '
                            "that one, or tick “add it anyway” below if it is a different source."
                        ),
                        link,
                        existing,
                    ),
                    code="duplicate",
                )
        return cleaned

    class Meta:
        model = Source
        fields = [*SOURCE_FIELDS, "version"]
        widgets = {"version": forms.HiddenInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The text as pasted, blank lines and all: a save that only fixes a byline must not
        # record a change to the full text.
        if "full_text" in self.fields:
            self.fields["full_text"].strip = False


class MineFilter(admin.SimpleListFilter):
    title = _("mine")
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("drafts", _("My drafts")), ("review", _("Awaiting my review"))]

    def queryset(self, request, queryset):
        if self.value() == "drafts":
            return queryset.filter(created_by=request.user, status=FactCard.Status.DRAFT)
        if self.value() == "review":
            return queryset.awaiting_review_by(request.user)
        return queryset


@admin.register(FactCard)
class FactCardAdmin(GuardedAdmin):
    form = FactCardAdminForm
    inlines = [CitationInline, CorrectionInline, ArticleUseInline]
    list_display = ["statement", "kind", "status_badge", "created_by", "updated_at"]
    list_filter = [MineFilter, "status", "kind", "topics", "places"]
    list_select_related = ["created_by", "revision_of"]
    search_fields = [
        "statement",
        "slug",
        "context",
        "citations__excerpt",
        "citations__source__title",
        "citations__source__outlet",
        "citations__source__byline",
    ]
    autocomplete_fields = ["topics", "places"]
    actions = ["submit_for_review", "publish", "return_to_draft", "retract"]
    readonly_fields = [
        "status_badge",
        "created_by",
        "last_edited_by",
        "published_by",
        "published_at",
        "revised_at",
        "review_comment",
        "publish_at",
        "scheduled_by",
        "checked_by",
        "checked_at",
    ]
    history_list_display = ["status_of_version"]
    change_form_template = "admin/factcards/factcard/change_form.html"
    ordering = ["-updated_at"]

    class Media:
        css = {"all": ["factcards/admin.css"]}
        js = ["factcards/copy.js", "factcards/embed-loader.js"]

    def get_inlines(self, request, obj):
        # "Used in" only on cards on record (the ones embedded or cited); drafts' forms as before.
        if obj is None or not obj.is_locked or obj.is_revision:
            return [CitationInline, CorrectionInline]
        return self.inlines

    def get_fieldsets(self, request, obj=None):
        card = ["statement", "kind", "as_of", "context", "topics", "places"]
        if obj is None or obj.editable_by(request.user):
            card.append("version")  # hidden: the optimistic lock's token
        if obj is None or not obj.is_revision:
            card.insert(1, "slug")
            # A revision changes what a card says; when to check it stays the card's own.
            card.insert(card.index("as_of") + 1, "check_by")
        # The value sections that do not fit the card's kind start folded away.
        folded = {
            kind: [] if obj is None or obj.kind == kind else ["collapse"]
            for kind in FactCard.Kind.values
        }
        fieldsets = [
            (None, {"fields": card}),
            (
                _("Figure"),
                {
                    "fields": [("qualifier", "value", "unit")],
                    "classes": folded["figure"],
                    "description": _("For figures: the number as the card gives it."),
                },
            ),
            (
                _("Date or event"),
                {
                    "fields": [("value_date", "value_date_end", "date_precision")],
                    "classes": folded["date"] if obj is None or obj.kind != "document" else [],
                    "description": _("For dates and events, and a document's date."),
                },
            ),
            (_("Quote"), {"fields": ["speaker", "quotation"], "classes": folded["quote"]}),
            (_("Document"), {"fields": ["document_title"], "classes": folded["document"]}),
            (_("Where sources disagree"), {"fields": ["value_note"]}),
        ]
        if obj and obj.is_revision:
            fieldsets.insert(1, (_("Public correction"), {"fields": ["correction_note"]}))
        if obj:
            fieldsets.append(
                (
                    "Workflow",
                    {
                        "classes": ["collapse"],
                        "fields": [
                            "status_badge",
                            "review_comment",
                            ("created_by", "last_edited_by"),
                            ("published_by", "published_at", "revised_at"),
                            ("publish_at", "scheduled_by"),
                            ("checked_by", "checked_at"),
                        ],
                    },
                )
            )
        return fieldsets

    def view_on_site(self, card):
        """The public page once the card is on record; before that, the preview (the public
        page of a draft is a 404)."""
        if card.status in LOCKED:
            return card.get_absolute_url()
        return reverse("admin:factcards_factcard_preview", args=[card.pk])

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("revision_of")

    @admin.display(description=_("status"))
    def status_of_version(self, record):
        """The history list's status column, as the desk names statuses."""
        return record.get_status_display()

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, card):
        label = card.get_status_display()
        if card.is_revision:
            label = _("Revision: %(status)s") % {"status": str(label).lower()}
        return format_html('<span class="fc-badge fc-{}">{}</span>', card.status, label)

    # --- permissions: who may edit which card -------------------------------------------

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.editable_by(request.user))

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        # Drafts are deleted one at a time from their page; the bulk delete would offer
        # published cards too, which the model refuses.
        actions = super().get_actions(request, action_location)
        actions.pop("delete_selected", None)
        return actions

    def has_publish_permission(self, request):
        return FactCard.is_editor(request.user)

    # --- saving -------------------------------------------------------------------------

    # Saving the form counts as editing: the model records the author, and four-eyes then
    # keeps them from publishing this version. The tags and citations name them too.

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            inline_form.instance.changed_by = request.user
        super().save_formset(request, form, formset, change)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Django's hook (inside the save's transaction) for a card that is not there: a POST
        # means someone was editing it when it went, so keep what they typed.
        if request.method == "POST":
            return self.gone_view(request)
        return super()._get_obj_does_not_exist_redirect(request, opts, object_id)

    def gone_view(self, request):
        """A save to a card that no longer exists (a revision another editor just published):
        say so, and show what was typed so that none of it is lost."""
        typed = [
            (FactCard._meta.get_field(name).verbose_name, request.POST[name])
            for name in AUTHORED_FIELDS
            if request.POST.get(name, "").strip()
        ] + [
            ("excerpt", value)
            for key, value in request.POST.items()
            if key.startswith("citations-") and key.endswith("-excerpt") and value.strip()
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Your changes were not saved"),
            "message": GONE_MESSAGE,
            "typed": typed,
        }
        return TemplateResponse(request, "admin/factcards/factcard/gone.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        card = self.get_object(request, unquote(object_id))
        context = {**(extra_context or {})}
        if card is not None:
            context["workflow_links"] = [
                (
                    step.label,
                    reverse("admin:factcards_factcard_workflow", args=[card.pk, step.name]),
                )
                for step in steps_for(card, request.user)
            ]
            context["preview_url"] = reverse("admin:factcards_factcard_preview", args=[card.pk])
            if card.status == FactCard.Status.DRAFT:
                context["not_ready"] = list(card.missing_values().values())
            if card.status in (FactCard.Status.DRAFT, FactCard.Status.IN_REVIEW):
                lacking = context.get("not_ready", [])
                context["before_publishing"] = [
                    problem for problem in card.publication_errors() if problem not in lacking
                ]
            if card.is_revision:
                context["revision_diff"] = card.revision_diff()
            if card.status == FactCard.Status.PUBLISHED:
                context["embed"] = embed_codes(request, card)
            if (
                card.is_locked
                and not card.is_revision
                and request.user.has_perm("factcards.add_articleuse")
            ):
                context["add_article_url"] = (
                    reverse("admin:factcards_articleuse_add") + f"?card={card.pk}"
                )
        return super().change_view(request, object_id, form_url, context)

    # --- the workflow from the change form ------------------------------------------------

    def get_urls(self):
        return [
            path(
                "export.csv",
                self.admin_site.admin_view(self.export_csv_view),
                name="factcards_factcard_export_csv",
            ),
            path(
                "<path:object_id>/workflow/<str:action>/",
                self.admin_site.admin_view(self.workflow_view),
                name="factcards_factcard_workflow",
            ),
            path(
                "<path:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="factcards_factcard_preview",
            ),
            *super().get_urls(),
        ]

    def workflow_view(self, request, object_id, action):
        """Confirm one step on one card (GET), then take it (POST)."""
        card = self.get_object(request, unquote(object_id))
        if card is None or action not in STEPS:
            raise Http404
        if not self.has_view_or_change_permission(request, card):
            raise PermissionDenied
        step = STEPS[action]
        change_url = reverse("admin:factcards_factcard_change", args=[card.pk])
        form = StepForm(
            request.POST if request.method == "POST" else None,
            step=step,
            initial={"version": card.version},
        )
        if request.method == "POST" and form.is_valid():
            card.version = form.cleaned_data["version"]
            try:
                result = take(
                    card,
                    action,
                    request.user,
                    form.cleaned_data.get("text", ""),
                    when=form.cleaned_data.get("when"),
                )
            except ValidationError as error:
                if step.asks in WHEN and error.code in WHEN_ERRORS:
                    # A time the rules refuse: ask again, with what was typed still there.
                    form.add_error("when", error)
                    return self.step_page(request, card, step, form, change_url)
                self.message_user(
                    request,
                    _("“%(card)s” was not %(done)s: %(why)s")
                    % {"card": card, "done": step.done, "why": " ".join(error.messages)},
                    messages.ERROR,
                )
                if not FactCard.objects.filter(pk=card.pk).exists():  # a published revision
                    change_url = reverse("admin:factcards_factcard_changelist")
                return HttpResponseRedirect(change_url)
            message = _("“%(card)s” was %(done)s.") % {"card": card, "done": step.done}
            self.message_user(request, message, messages.SUCCESS)
            return HttpResponseRedirect(
                reverse("admin:factcards_factcard_change", args=[result.pk])
            )
        return self.step_page(request, card, step, form, change_url)

    def step_page(self, request, card, step, form, change_url):
        """The confirmation page of one step on one card."""
        action = step.name
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{step.label}: {card}",
            "label": step.label,
            "form": form,
            "rows": [(card, blockers(card, action, request.user))],
            "card": card,
            "change_url": change_url,
            "revision_diff": card.revision_diff() if card.is_revision else None,
        }
        return TemplateResponse(request, "admin/factcards/factcard/workflow.html", context)

    def preview_view(self, request, object_id):
        """The card as the public will see it, whatever its status."""
        card = self.get_object(request, unquote(object_id))
        if card is None:
            raise Http404
        if not self.has_view_or_change_permission(request, card):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Preview: %(card)s") % {"card": card},
            "card": card,
            "change_url": reverse("admin:factcards_factcard_change", args=[card.pk]),
        }
        return TemplateResponse(request, "admin/factcards/factcard/preview.html", context)

    def export_csv_view(self, request):
        """The changelist as the user sees it (its filters, search and order), as CSV."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(
                reverse("admin:factcards_factcard_changelist") + f"?{ERROR_FLAG}=1"
            )
        cards = changelist.get_queryset(request).prefetch_related("citations__source")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="factcards.csv"'
        write_csv(cards, response, request.build_absolute_uri)
        return response

    # --- list actions: each card reported, done or refused with the reason ---------------

    def apply_step(self, request, queryset, action, text=""):
        done, refused = [], []
        for card in queryset:
            try:
                take(card, action, request.user, text)
                done.append(card)
            except ValidationError as error:
                refused.append((card, " ".join(error.messages)))
        past = STEPS[action].done
        if done:
            names = "; ".join(f"“{card}”" for card in done)
            message = _("%(count)s %(done)s: %(names)s")
            message %= {"count": len(done), "done": past, "names": names}
            self.message_user(request, message, messages.SUCCESS)
        for card, reason in refused:
            message = _("“%(card)s” was not %(done)s: %(why)s")
            self.message_user(
                request, message % {"card": card, "done": past, "why": reason}, messages.ERROR
            )

    def ask_then_apply(self, request, queryset, action):
        """Steps that need a comment or a note, and publishing: confirm on a page first."""
        step = STEPS[action]
        data = request.POST if request.POST.get("confirm") else None
        form = StepForm(data, step=step, versioned=False)
        if form.is_bound and form.is_valid():
            return self.apply_step(request, queryset, action, form.cleaned_data.get("text", ""))
        rows = [(card, blockers(card, action, request.user)) for card in queryset]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": step.label,
            "rows": rows,
            "blocked": any(problems for _, problems in rows),
            "label": step.label,
            "action": action,
            "form": form,
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        }
        return TemplateResponse(request, "admin/factcards/factcard/workflow.html", context)

    @admin.action(description=_("Submit selected cards for review"), permissions=["change"])
    def submit_for_review(self, request, queryset):
        self.apply_step(request, queryset, "submit")

    @admin.action(description=_("Publish selected cards…"), permissions=["publish"])
    def publish(self, request, queryset):
        return self.ask_then_apply(request, queryset, "publish")

    @admin.action(description=_("Return selected cards to draft…"), permissions=["publish"])
    def return_to_draft(self, request, queryset):
        return self.ask_then_apply(request, queryset, "return_to_draft")

    @admin.action(description=_("Retract selected cards…"), permissions=["publish"])
    def retract(self, request, queryset):
        return self.ask_then_apply(request, queryset, "retract")


@admin.register(Source)
class SourceAdmin(GuardedAdmin):
    form = SourceAdminForm
    list_display = ["title", "outlet", "published_on", "has_link"]
    list_filter = ["outlet", "language"]
    search_fields = ["title", "outlet", "byline", "url"]
    readonly_fields = ["cited_by", "link_health", "archived_copy"]
    fieldsets = [
        (None, {"fields": ["outlet", "title", "byline", "url", "published_on"]}),
        (
            "Advanced",
            {
                "classes": ["collapse"],
                "fields": ["retrieved_on", "language", "archive_url", "full_text"],
            },
        ),
    ]

    @admin.display(description=_("cited by"))
    def cited_by(self, source):
        cards = FactCard.objects.filter(citations__source=source).distinct().order_by("statement")
        if not cards:
            return _("No card cites it yet.")
        return format_html_join(
            "",
            '<p><a href="{}">{}</a> ({})</p>',
            (
                (
                    reverse("admin:factcards_factcard_change", args=[c.pk]),
                    c,
                    _("revision, %(status)s") % {"status": c.status_phrase}
                    if c.is_revision
                    else c.get_status_display(),
                )
                for c in cards
            ),
        )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None:
            fieldsets = [*fieldsets, (_("Cards citing it"), {"fields": ["cited_by"]})]
            if obj.url:
                health = {"fields": ["link_health", "archived_copy"]}
                fieldsets = [*fieldsets, (_("Link health and our copy"), health)]
        if obj is None:
            main = {**fieldsets[0][1], "fields": [*fieldsets[0][1]["fields"], "same_source_anyway"]}
            fieldsets = [(None, main), *fieldsets[1:]]
        if obj is None or obj.editable_by(request.user):
            main = {**fieldsets[0][1], "fields": [*fieldsets[0][1]["fields"], "version"]}
            fieldsets = [(None, main), *fieldsets[1:]]  # hidden: the optimistic lock's token
        return fieldsets

    @admin.display(boolean=True, description=_("link"))
    def has_link(self, source):
        return bool(source.url)

    @admin.display(description=_("link health"))
    def link_health(self, source):
        checks = source.link_checks.all()[:5]
        if not checks:
            return _("Not checked yet: the worker checks every link once a week.")
        return format_html_join(
            "",
            "<p>{}: {}{}</p>",
            (
                (
                    timezone.localtime(check.checked_at).strftime("%b %-d, %Y %H:%M"),
                    check.get_outcome_display(),
                    f" ({check.status})" if check.status else f" — {check.message}",
                )
                for check in checks
            ),
        )

    @admin.display(description=_("archived copy"))
    def archived_copy(self, source):
        copy = source.archived_copies.defer("warc").first()
        if copy is None:
            return _("None yet.")
        return format_html(
            '<a href="{}">Fetched {}</a> ({:,} bytes){}',
            reverse("archived_copy", args=[source.pk]),
            timezone.localtime(copy.fetched_at).strftime("%b %-d, %Y %H:%M"),
            copy.size,
            format_html(' · <a href="{}">public archive</a>', copy.public_copy)
            if copy.public_copy
            else "",
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            source_added(obj)

    # --- intake: a source from a link, a file or a text, and its candidate facts ------------

    def get_urls(self):
        def view(function, name, route, post_only=False):
            def call(request, *args, **kwargs):
                return function(self, request, *args, **kwargs)

            wrapped = self.admin_site.admin_view(require_POST(call) if post_only else call)
            return path(route, wrapped, name=name)

        return [
            view(intake.add_source, "factcards_source_intake", "intake/"),
            view(intake.intake_status, "factcards_intake_status", "intake/<int:pk>/"),
            view(intake.source_candidates, "factcards_source_candidates", "<int:pk>/candidates/"),
            view(intake.make_draft, "factcards_source_draft", "<int:pk>/candidates/draft/", True),
            view(intake.act_on_difference, "factcards_difference", "differences/<int:pk>/", True),
            view(intake.broken_links_view, "factcards_broken_links", "broken-links/"),
            *super().get_urls(),
        ]


@admin.register(Topic, Place)
class TagAdmin(SafeActionsMixin, admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    # Published cards show their topics and places: those in use change with the cards.

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or not obj.on_record())

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or not obj.on_record())

    def delete_queryset(self, request, queryset):
        try:
            super().delete_queryset(request, queryset)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)


@admin.register(Correction)
class CorrectionAdmin(ReadOnlyHistoryAdmin):
    list_display = ["card", "kind", "created_at", "created_by"]
    list_filter = ["kind"]
    list_select_related = ["card", "created_by"]
    search_fields = ["note", "card__statement"]
    readonly_fields = ["card", "kind", "changed", "created_at", "created_by"]

    # Corrections come from publishing a revision or retracting, never on their own, and a
    # public note, once out, is not rewritten: a further revision adds another.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- where cards live: the articles using each card, what a correction asks of them ----------


@admin.register(ArticleUse)
class ArticleUseAdmin(SafeActionsMixin, admin.ModelAdmin):
    list_display = ["url", "card", "how", "views", "first_seen", "last_seen"]
    list_filter = ["how"]
    list_select_related = ["card"]
    search_fields = ["url", "card__statement", "card__slug"]
    # The card comes from its page's "Add an article" link; the lookup finds another.
    raw_id_fields = ["card"]
    readonly_fields = ["how", "views", "first_seen", "last_seen", "added_by", "added_at", "cms"]
    fields = ["card", "url", *readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        # Once listed, an entry is the record of that article: remove it rather than rewrite it.
        return [*self.readonly_fields, "card", "url"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.added_by, obj.how = request.user, ArticleUse.How.EDITOR
        super().save_model(request, obj, form, change)


class CheckedFilter(admin.SimpleListFilter):
    title = _("updated")
    parameter_name = "done"

    def lookups(self, request, model_admin):
        return [("no", _("Not yet (the default)")), ("yes", _("Updated")), ("all", _("All"))]

    def choices(self, changelist):
        for value, label in self.lookup_choices:
            yield {
                "selected": (self.value() or "no") == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        value = self.value() or "no"
        if value == "all":
            return queryset
        return queryset.filter(updated=value == "yes")


@admin.register(ArticleCheck)
class ArticleCheckAdmin(SafeActionsMixin, admin.ModelAdmin):
    """Articles to check: tick each once it has been looked at (and fixed if need be)."""

    list_display = ["article", "card", "what", "updated", "ticked"]
    list_editable = ["updated"]
    list_display_links = None
    list_filter = [CheckedFilter, "correction__kind"]
    list_select_related = ["use", "correction__card", "checked_by"]
    search_fields = ["use__url", "correction__card__statement"]

    def lookup_allowed(self, lookup, value, request=None):
        # The desk's home links to one card's articles.
        return lookup == "correction__card__id__exact" or super().lookup_allowed(
            lookup, value, request
        )

    def get_queryset(self, request):
        from .desk import articles_to_check

        return articles_to_check(request.user, queryset=super().get_queryset(request))

    @admin.display(description=_("article"), ordering="use__url")
    def article(self, check):
        return format_html('<a href="{0}" rel="noopener" target="_blank">{0}</a>', check.use.url)

    @admin.display(description=_("fact card"), ordering="correction__card__statement")
    def card(self, check):
        card = check.correction.card
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:factcards_factcard_change", args=[card.pk]), card
        )

    @admin.display(description=_("why"), ordering="-correction__created_at")
    def what(self, check):
        when = formats.date_format(check.correction.created_at, "DATE_FORMAT")
        if check.correction.kind == "retraction":
            return _("retracted %(date)s") % {"date": when}
        return _("corrected %(date)s") % {"date": when}

    @admin.display(description=_("ticked by"), ordering="checked_at")
    def ticked(self, check):
        if not check.checked_by_id:
            return "—"
        return f"{check.checked_by}, {timezone.localtime(check.checked_at):%b %-d, %H:%M}"

    def changelist_view(self, request, extra_context=None):
        title = _("Articles to check: tick each once it has been looked at")
        return super().changelist_view(request, {"title": title, **(extra_context or {})})

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if obj.updated and not obj.checked_by_id:
            obj.checked_by, obj.checked_at = request.user, timezone.now()
        elif not obj.updated:
            obj.checked_by = obj.checked_at = None
        super().save_model(request, obj, form, change)


@admin.register(CmsClient)
class CmsClientAdmin(admin.ModelAdmin):
    """CMSs that register articles at /registry/articles with a token (see the README)."""

    list_display = ["name", "token_start", "active", "created_at", "last_used_at"]
    fields = ["name", "active", "token_start", "created_at", "last_used_at"]
    readonly_fields = ["token_start", "created_at", "last_used_at"]
    actions = ["replace_token"]

    def save_model(self, request, obj, form, change):
        token = None if change else obj.new_token()
        super().save_model(request, obj, form, change)
        if token:
            self.show_token(request, obj, token)

    def show_token(self, request, client, token):
        self.message_user(
            request,
            format_html(
                _(
                    "The token of “{}” is <code>{}</code>. Copy it into the CMS now: it is not "
                    "shown again (only its hash is kept)."
                ),
                client,
                token,
            ),
            messages.WARNING,
        )

    @admin.action(description=_("Give the selected clients new tokens (the old ones stop working)"))
    def replace_token(self, request, queryset):
        for client in queryset:
            token = client.new_token()
            client.save()
            self.show_token(request, client, token)


class WebhookAttemptInline(RecordInline):
    model = WebhookAttempt
    fields = ["number", "at", "status_code", "error", "duration_ms"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(SafeActionsMixin, admin.ModelAdmin):
    """Every webhook sent to the CMS, with each attempt: status code, time, error; editors
    send a failed one again once the CMS is back."""

    list_display = ["event", "card", "status", "created_at", "delivered_at", "attempt_count"]
    list_filter = ["status", "event"]
    list_select_related = ["card"]
    search_fields = ["card__statement", "event_id"]
    fields = ["event", "event_id", "card", "url", "status", "created_at", "delivered_at", "body"]
    readonly_fields = fields
    inlines = [WebhookAttemptInline]
    actions = ["send_again"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(attempt_total=Count("attempts"))

    @admin.display(description=_("attempts"), ordering="attempt_total")
    def attempt_count(self, delivery):
        return delivery.attempt_total

    @admin.action(description=_("Send again"), permissions=["resend"])
    def send_again(self, request, queryset):
        sent, refused = [], []
        for delivery in queryset.select_related("card"):
            (sent if send_again(delivery) else refused).append(delivery)
        if sent:
            names = "; ".join(f"“{delivery}”" for delivery in sent)
            message = _("%(count)s sent again (one more attempt, by the worker): %(names)s")
            self.message_user(
                request, message % {"count": len(sent), "names": names}, messages.SUCCESS
            )
        for delivery in refused:
            delivery.refresh_from_db(fields=["status"])
            reason = (
                _("it was delivered already")
                if delivery.status == WebhookDelivery.Status.DELIVERED
                else _("it is still being delivered; only a failed delivery is sent again")
            )
            message = _("“%(delivery)s” was not sent again: %(why)s.") % {
                "delivery": delivery,
                "why": reason,
            }
            self.message_user(request, message, messages.ERROR)

    def has_resend_permission(self, request):
        return FactCard.is_editor(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- translations of cards -------------------------------------------------------------------


class CardTranslationForm(GuardedForm):
    class Meta:
        model = CardTranslation
        fields = ["card", "language", "statement", "context", "value_note", "machine_assisted"]
        fields += ["version"]
        widgets = {
            "statement": forms.Textarea(attrs={"rows": 2, "cols": 80, "maxlength": 280}),
            "context": forms.Textarea(attrs={"rows": 3}),
            "value_note": forms.Textarea(attrs={"rows": 2}),
            "version": forms.HiddenInput,
        }


@admin.register(CardTranslation)
class CardTranslationAdmin(GuardedAdmin):
    """Translations of a card's words, through the card's own rules: the translator writes
    and submits; another editor publishes (four-eyes). The steps are the model's."""

    form = CardTranslationForm
    list_display = ["card", "language", "status", "created_by", "published_at"]
    list_filter = ["language", "status"]
    list_select_related = ["card", "created_by"]
    search_fields = ["statement", "card__statement", "card__slug"]
    raw_id_fields = ["card"]
    readonly_fields = ["status", "the_cards_words", "created_by", "published_by", "published_at"]
    actions = ["submit_translations", "publish_translations", "return_translations"]

    def get_fields(self, request, obj=None):
        fields = ["card", "language", "the_cards_words", "statement", "context", "value_note"]
        fields += ["machine_assisted", "status", "created_by", "published_by"]
        if obj is None or obj.editable_by(request.user):
            fields.append("version")  # hidden: the optimistic lock's token
        return fields

    def has_delete_permission(self, request, obj=None):
        # Drafts and translations in review only: one readers saw stays on record.
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.status in CardTranslation.DELETABLE)

    def delete_queryset(self, request, queryset):
        try:
            super().delete_queryset(request, queryset)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location)
        if not CardTranslation.is_editor(request.user):  # the desk offers what one may do
            actions.pop("publish_translations", None)
            actions.pop("return_translations", None)
        return actions

    def get_readonly_fields(self, request, obj=None):
        # Which card and language it translates are what it is: another is a new translation.
        fixed = ["card", "language"] if obj else []
        return [*fixed, *self.readonly_fields]

    @admin.display(description=_("The card's words, to translate"))
    def the_cards_words(self, obj):
        if obj is None or not obj.card_id:
            return "—"
        card = obj.card
        parts = [(_("Statement"), card.statement), (_("Context"), card.context)]
        parts.append((_("Why this value"), card.value_note))
        stale = "" if obj.is_current else _(" The card's words changed since: update this.")
        rows = format_html_join(
            "", "<p><strong>{}:</strong> {}</p>", ((k, v) for k, v in parts if v)
        )
        return format_html("{}{}", rows, stale)

    def step(self, request, queryset, name, done):
        for translation in queryset:
            try:
                getattr(translation, name)(request.user)
            except ValidationError as error:
                message = _("“%(translation)s”: %(why)s")
                why = " ".join(error.messages)
                self.message_user(
                    request, message % {"translation": translation, "why": why}, messages.ERROR
                )
            else:
                message = _("“%(translation)s” %(done)s.")
                message %= {"translation": translation, "done": done}
                self.message_user(request, message, messages.SUCCESS)

    @admin.action(description=_("Submit for review"))
    def submit_translations(self, request, queryset):
        self.step(request, queryset, "submit", _("was submitted for review"))

    @admin.action(description=_("Publish (another editor than its translators)"))
    def publish_translations(self, request, queryset):
        self.step(request, queryset, "publish", _("was published"))

    @admin.action(description=_("Return to its translator"))
    def return_translations(self, request, queryset):
        self.step(request, queryset, "return_to_draft", _("was returned to draft"))
