"""The editorial desk's home: each person's work queue, first thing after signing in.

The admin's own site with one change: its index starts with what this user can act on now,
read through the same rules the workflow enforces (steps_for's four-eyes, authorship).
"""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Max, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import reading
from .intake import work
from .intake.desk import broken_links, open_differences
from .models import ArticleCheck, Correction, DeskPreference, FactCard

# Django 6.1's new blank choice label ("- Select an option -") is not in its Russian and
# French catalogues yet; ours, which come first, carry it.
BLANK_CHOICE_LABEL = _("- Select an option -")


class PreferenceForm(forms.ModelForm):
    class Meta:
        model = DeskPreference
        fields = ["email_me"]


DUE = _("Due for a check")


def queues(user):
    """[(title, help, cards, show_comment)] of the cards this user is expected to act on."""
    cards = FactCard.objects.select_related("created_by", "revision_of")
    if FactCard.is_editor(user):
        return [
            (
                gettext("Awaiting your review"),
                gettext("Cards in review that you may publish: you did not write them."),
                cards.awaiting_review_by(user).order_by("updated_at"),
                False,
            ),
            (
                gettext("Scheduled"),
                gettext(
                    "Approved to go public at the time shown; the worker publishes them then. "
                    "An edit or a return cancels the approval."
                ),
                cards.scheduled().select_related("scheduled_by"),
                False,
            ),
            (
                DUE,
                gettext(
                    "Published cards past their check-by date: readers see when each was last "
                    "checked. Confirm each is still true, or propose a revision."
                ),
                cards.due_for_check(),
                False,
            ),
            (
                gettext("Revisions pending"),
                gettext("Proposed changes to published cards, not yet approved."),
                cards.filter(revision_of__isnull=False).order_by("-updated_at"),
                False,
            ),
            (
                gettext("Returned to their authors"),
                gettext("Sent back with a comment; waiting for the author."),
                cards.filter(status=FactCard.Status.DRAFT)
                .exclude(review_comment="")
                .order_by("-updated_at"),
                True,
            ),
        ]
    mine = cards.filter(created_by=user)
    returned = Q(status=FactCard.Status.DRAFT) & ~Q(review_comment="")
    return [
        (
            gettext("Returned to you"),
            gettext("An editor sent these back: their comment says what to fix."),
            mine.filter(returned).order_by("-updated_at"),
            True,
        ),
        (
            gettext("Your drafts"),
            gettext("Not yet submitted for review."),
            mine.filter(status=FactCard.Status.DRAFT, review_comment="").order_by("-updated_at"),
            False,
        ),
        (
            gettext("In review"),
            gettext("Submitted: an editor will publish or return them."),
            mine.filter(status=FactCard.Status.IN_REVIEW).order_by("-updated_at"),
            False,
        ),
    ]


def articles_to_check(user, queryset=None):
    """What corrections and retractions ask this user to check: for editors every article,
    for reporters those using their own cards."""
    checks = ArticleCheck.objects.all() if queryset is None else queryset
    if FactCard.is_editor(user):
        return checks
    return checks.filter(correction__card__created_by=user)


def cards_with_articles_to_check(user):
    """[(card, articles not yet ticked)] for the desk's home, most recently corrected first."""
    waiting = articles_to_check(user).filter(updated=False)
    rows = (
        waiting.values("correction__card")
        .annotate(articles=Count("pk"), latest=Max("correction__created_at"))
        .order_by("-latest")[:20]
    )
    cards = FactCard.objects.in_bulk([row["correction__card"] for row in rows])
    return [(cards[row["correction__card"]], row["articles"]) for row in rows]


class NewsroomAdminSite(admin.AdminSite):
    @property
    def site_header(self):
        return gettext("%(site)s: the editorial desk") % {"site": reading.site_name()}

    @property
    def site_title(self):
        return reading.site_name()

    index_title = _("Your desk")
    index_template = "admin/desk_index.html"

    def index(self, request, extra_context=None):
        desk = [
            {
                "title": title,
                "help": help_text,
                "cards": list(cards[:20]),
                "count": cards.count(),
                "comments": comments,
            }
            for title, help_text, cards, comments in queues(request.user)
        ]
        published = FactCard.objects.published().order_by("-published_at")[:5]
        corrected = (
            Correction.objects.filter(card__in=FactCard.objects.on_record())
            .select_related("card")
            .order_by("-created_at")[:5]
        )
        differences = open_differences()
        context = {
            "desk": desk,
            "differences": list(differences[:20]),
            "differences_count": differences.count(),
            "broken": broken_links(limit=10),
            "broken_count": work.broken_links().count(),
            "articles_to_check": cards_with_articles_to_check(request.user),
            "recently_published": published,
            "recently_corrected": corrected,
            **(extra_context or {}),
        }
        return super().index(request, context)

    def get_urls(self):
        preferences = self.admin_view(self.preferences_view)
        return [path("preferences/", preferences, name="desk_preferences"), *super().get_urls()]

    def preferences_view(self, request):
        """Each member of the desk turns the workflow's emails on or off for themselves."""
        preference, _created = DeskPreference.objects.get_or_create(user=request.user)
        form = PreferenceForm(
            request.POST if request.method == "POST" else None, instance=preference
        )
        if request.method == "POST" and form.is_valid():
            form.save()
            if preference.email_me:
                messages.success(request, gettext("Emails about cards are on."))
            else:
                messages.success(request, gettext("Emails about cards are off."))
            return HttpResponseRedirect(reverse("admin:index"))
        context = {**self.each_context(request), "form": form, "title": gettext("Your emails")}
        return TemplateResponse(request, "admin/desk_preferences.html", context)

    def each_context(self, request):
        """Every desk page's sidebar and header count what waits for this user."""
        context = super().each_context(request)
        if request.user.is_active and request.user.is_staff:
            first, *others = queues(request.user)
            context["desk_waiting"] = (first[0], first[2].count())
            context["desk_articles"] = articles_to_check(request.user).filter(updated=False).count()
            for title, _help, cards, _comments in others:
                if title == DUE:
                    context["desk_due"] = (title, cards.count())
        return context
