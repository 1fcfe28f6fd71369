"""The editorial desk: reporters draft and submit, editors review, publish and retract.

Every workflow step calls the model's own method, so the admin can only ask; the model decides.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from .embeds import embed_codes
from .models import (
    CONTENT_FIELDS,
    Citation,
    Correction,
    EditConflict,
    FactCard,
    Place,
    Source,
    Topic,
)

# action name → (button label, past tense, what the step asks for: None, a comment or a note)
WORKFLOW = {
    "submit": ("Submit for review", "submitted for review", None),
    "publish": ("Publish", "published", None),
    "return_to_draft": ("Return to draft", "returned to draft", "comment"),
    "retract": ("Retract", "retracted", "note"),
    "start_revision": ("Propose a revision", "opened as a revision", None),
}
TEXT_LABELS = {
    "comment": ("Comment for the author", "Say what to fix. The author sees this."),
    "note": ("Public retraction notice", "Readers see this on the card and in every embed."),
}


def run_step(card, action, user, text=""):
    """Call the card's workflow method for one admin step; returns what the step returns."""
    method = getattr(card, action)
    return method(user, text) if WORKFLOW[action][2] else method(user)


class CitationInline(admin.StackedInline):
    model = Citation
    autocomplete_fields = ["source"]
    fields = [("source", "relation"), "excerpt", ("stated_value", "locator", "position")]
    extra = 0

    def get_extra(self, request, obj=None, **kwargs):
        return 0 if obj and obj.citations.exists() else 1

    def _card_editable(self, request, obj):
        return obj is None or obj.editable_by(request.user)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._card_editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._card_editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._card_editable(request, obj)


class CorrectionInline(admin.TabularInline):
    model = Correction
    fields = ["created_at", "kind", "note", "changed", "created_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class FactCardAdminForm(forms.ModelForm):
    class Meta:
        model = FactCard
        fields = [*CONTENT_FIELDS, "topics", "places", "correction_note", "version"]
        widgets = {
            "statement": forms.Textarea(attrs={"rows": 2, "cols": 80, "maxlength": 280}),
            "context": forms.Textarea(attrs={"rows": 3}),
            "quotation": forms.Textarea(attrs={"rows": 3}),
            "value_note": forms.Textarea(attrs={"rows": 2}),
            "correction_note": forms.Textarea(attrs={"rows": 2}),
            "version": forms.HiddenInput,
        }

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and "version" in cleaned:
            current = FactCard.objects.filter(pk=self.instance.pk).values_list("version", flat=True)
            if cleaned["version"] != current.first():
                raise EditConflict(
                    "Someone else saved this card after you opened it, so your changes were "
                    "not saved (nothing was overwritten). Copy your changes, reload the page "
                    "to see their version, then make your changes again.",
                    code="conflict",
                )
        return cleaned


class MineFilter(admin.SimpleListFilter):
    title = "mine"
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("drafts", "My drafts"), ("review", "Awaiting my review")]

    def queryset(self, request, queryset):
        if self.value() == "drafts":
            return queryset.filter(created_by=request.user, status=FactCard.Status.DRAFT)
        if self.value() == "review":
            return queryset.awaiting_review_by(request.user)
        return queryset


@admin.register(FactCard)
class FactCardAdmin(SimpleHistoryAdmin):
    form = FactCardAdminForm
    inlines = [CitationInline, CorrectionInline]
    list_display = ["statement", "kind", "status_badge", "created_by", "updated_at"]
    list_filter = [MineFilter, "status", "kind", "topics", "places"]
    list_select_related = ["created_by", "revision_of"]
    search_fields = ["statement", "slug", "context", "citations__excerpt"]
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
    ]
    history_list_display = ["status"]
    change_form_template = "admin/factcards/factcard/change_form.html"
    ordering = ["-updated_at"]

    class Media:
        css = {"all": ["factcards/admin.css"]}
        js = ["factcards/copy.js", "factcards/embed-loader.js"]

    def get_fieldsets(self, request, obj=None):
        card = ["statement", "kind", "as_of", "context", "topics", "places"]
        if obj is None or obj.editable_by(request.user):
            card.append("version")  # hidden: the optimistic lock's token
        if obj is None or not obj.is_revision:
            card.insert(1, "slug")
        # The value sections that do not fit the card's kind start folded away.
        folded = {
            kind: [] if obj is None or obj.kind == kind else ["collapse"]
            for kind in FactCard.Kind.values
        }
        fieldsets = [
            (None, {"fields": card}),
            (
                "Figure",
                {
                    "fields": [("qualifier", "value", "unit")],
                    "classes": folded["figure"],
                    "description": "For figures: the number as the card gives it.",
                },
            ),
            (
                "Date or event",
                {
                    "fields": [("value_date", "value_date_end", "date_precision")],
                    "classes": folded["date"] if obj is None or obj.kind != "document" else [],
                    "description": "For dates and events, and a document's date.",
                },
            ),
            ("Quote", {"fields": ["speaker", "quotation"], "classes": folded["quote"]}),
            ("Document", {"fields": ["document_title"], "classes": folded["document"]}),
            ("Where sources disagree", {"fields": ["value_note"]}),
        ]
        if obj and obj.is_revision:
            fieldsets.insert(1, ("Public correction", {"fields": ["correction_note"]}))
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
                        ],
                    },
                )
            )
        return fieldsets

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj else {"slug": ["statement"]}

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("revision_of")

    @admin.display(description="status", ordering="status")
    def status_badge(self, card):
        label = card.get_status_display()
        if card.is_revision:
            label = f"Revision: {label.lower()}"
        return format_html('<span class="fc-badge fc-{}">{}</span>', card.status, label)

    # --- permissions: who may edit which card -------------------------------------------

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.editable_by(request.user))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or (not obj.is_locked and obj.editable_by(request.user)))

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        # Drafts are deleted one at a time from their page; the bulk delete would offer
        # published cards too, which the model refuses.
        actions = super().get_actions(request, action_location)
        actions.pop("delete_selected", None)
        return actions

    def has_publish_permission(self, request):
        return FactCard.is_editor(request.user)

    # --- saving -------------------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        # Saving the form counts as editing it: four-eyes then keeps this user from publishing.
        obj.last_edited_by = request.user
        super().save_model(request, obj, form, change)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            # A save that lost a race, or a rule the form could not see: nothing was written.
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def change_view(self, request, object_id, form_url="", extra_context=None):
        card = self.get_object(request, object_id)
        context = {**(extra_context or {})}
        if card is not None:
            context["workflow_links"] = [
                (
                    WORKFLOW[action][0],
                    reverse("admin:factcards_factcard_workflow", args=[card.pk, action]),
                )
                for action in self.workflow_actions(request, card)
            ]
            context["preview_url"] = reverse("admin:factcards_factcard_preview", args=[card.pk])
            if card.is_revision:
                context["revision_diff"] = card.revision_diff()
            if card.status == FactCard.Status.PUBLISHED:
                context["embed"] = embed_codes(request, card)
        return super().change_view(request, object_id, form_url, context)

    def workflow_actions(self, request, card):
        """The steps worth offering this user on this card (the model still decides)."""
        user, status = request.user, card.status
        steps = []
        if status == FactCard.Status.DRAFT and (
            card.created_by_id == user.pk or FactCard.is_editor(user)
        ):
            steps.append("submit")
        if status == FactCard.Status.IN_REVIEW and FactCard.is_editor(user):
            steps += ["publish", "return_to_draft"]
        if status == FactCard.Status.PUBLISHED:
            if not hasattr(card, "pending_revision") and user.has_perm("factcards.add_factcard"):
                steps.append("start_revision")
            if FactCard.is_editor(user):
                steps.append("retract")
        return steps

    # --- the workflow from the change form ------------------------------------------------

    def get_urls(self):
        return [
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
        card = get_object_or_404(FactCard, pk=object_id)
        if action not in WORKFLOW:
            raise PermissionDenied
        if not self.has_view_or_change_permission(request, card):
            raise PermissionDenied
        label, done, needs = WORKFLOW[action]
        change_url = reverse("admin:factcards_factcard_change", args=[card.pk])
        if request.method == "POST":
            try:
                result = run_step(card, action, request.user, request.POST.get("text", ""))
            except ValidationError as error:
                self.message_user(
                    request, f"“{card}” was not {done}: {' '.join(error.messages)}", messages.ERROR
                )
                return HttpResponseRedirect(change_url)
            self.message_user(request, f"“{card}” was {done}.", messages.SUCCESS)
            if isinstance(result, FactCard):
                change_url = reverse("admin:factcards_factcard_change", args=[result.pk])
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{label}: {card}",
            "cards": [card],
            "label": label,
            "text_field": TEXT_LABELS.get(needs),
            "change_url": change_url,
            "revision_diff": card.revision_diff() if card.is_revision else None,
        }
        return TemplateResponse(request, "admin/factcards/factcard/workflow.html", context)

    def preview_view(self, request, object_id):
        """The card as the public will see it, whatever its status."""
        card = get_object_or_404(FactCard.objects.select_related("revision_of"), pk=object_id)
        if not self.has_view_or_change_permission(request, card):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Preview: {card}",
            "card": card,
            "change_url": reverse("admin:factcards_factcard_change", args=[card.pk]),
        }
        return TemplateResponse(request, "admin/factcards/factcard/preview.html", context)

    # --- list actions: each card reported, done or refused with the reason ---------------

    def apply_step(self, request, queryset, action, text=""):
        done, refused = [], []
        for card in queryset:
            try:
                run_step(card, action, request.user, text)
                done.append(card)
            except ValidationError as error:
                refused.append((card, " ".join(error.messages)))
        label, past, _ = WORKFLOW[action]
        if done:
            names = "; ".join(f"“{card}”" for card in done)
            self.message_user(request, f"{len(done)} {past}: {names}", messages.SUCCESS)
        for card, reason in refused:
            self.message_user(request, f"“{card}” was not {past}: {reason}", messages.ERROR)

    def ask_then_apply(self, request, queryset, action):
        """For steps that need a comment or note: ask on an intermediate page first."""
        label, _, needs = WORKFLOW[action]
        text = request.POST.get("text", "")
        if request.POST.get("confirm"):
            if text.strip():
                return self.apply_step(request, queryset, action, text)
            self.message_user(request, f"{TEXT_LABELS[needs][0]} is required.", messages.ERROR)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": label,
            "cards": queryset,
            "label": label,
            "action": action,
            "text_field": TEXT_LABELS[needs],
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        }
        return TemplateResponse(request, "admin/factcards/factcard/workflow.html", context)

    @admin.action(description="Submit selected cards for review", permissions=["change"])
    def submit_for_review(self, request, queryset):
        self.apply_step(request, queryset, "submit")

    @admin.action(description="Publish selected cards", permissions=["publish"])
    def publish(self, request, queryset):
        self.apply_step(request, queryset, "publish")

    @admin.action(description="Return selected cards to draft…", permissions=["publish"])
    def return_to_draft(self, request, queryset):
        return self.ask_then_apply(request, queryset, "return_to_draft")

    @admin.action(description="Retract selected cards…", permissions=["publish"])
    def retract(self, request, queryset):
        return self.ask_then_apply(request, queryset, "retract")


@admin.register(Source)
class SourceAdmin(SimpleHistoryAdmin):
    list_display = ["title", "outlet", "published_on", "has_link"]
    list_filter = ["outlet", "language"]
    search_fields = ["title", "outlet", "byline", "url"]
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

    @admin.display(boolean=True, description="link")
    def has_link(self, source):
        return bool(source.url)


@admin.register(Topic, Place)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Correction)
class CorrectionAdmin(SimpleHistoryAdmin):
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


admin.site.site_header = "factcards: the editorial desk"
admin.site.site_title = "factcards"
admin.site.index_title = "Cards, sources and the review queue"
