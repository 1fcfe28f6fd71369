"""The desk's side of intake: add a source from a link, a file or a text; read it with its
candidate facts highlighted; one click makes a draft card; act on suggested differences.

Views of SourceAdmin (admin_view wraps each: staff only, CSRF); each checks its permission,
and the rules themselves are the models' (FactCard.save, Citation.save, Source.save)."""

import re

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from ..models import (
    Citation,
    FactCard,
    Intake,
    LinkCheck,
    Source,
    SuggestedDifference,
)
from ..models.fields import WebURLFormField
from . import work
from .candidates import candidates
from .extract import extract_html, extract_text

MAX_UPLOAD = 5_000_000


# Longer than any article (about 15,000 words): past it, the page of candidates grows too
# long to read, and each click reads the whole text again.
MAX_TEXT = 100_000


class IntakeForm(forms.Form):
    url = WebURLFormField(
        label=_("Link"),
        required=False,
        max_length=500,
        help_text=_("The worker fetches the page, keeps a copy and extracts its text."),
    )
    page = forms.FileField(
        label=_("Or an HTML file"),
        required=False,
        help_text=_("A page saved from your browser (File › Save page as…)."),
    )
    text = forms.CharField(
        label=_("Or the text"),
        required=False,
        strip=False,
        max_length=MAX_TEXT,
        error_messages={
            "max_length": format_lazy(
                _(
                    "This text is longer than {limit} characters: paste the article alone, or "
                    "split a long document into parts."
                ),
                limit=f"{MAX_TEXT:,}",
            )
        },
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Pasted as published. For a file or a text, give below what the page states."),
    )
    title = forms.CharField(max_length=300, required=False, label=_("Headline"))
    outlet = forms.CharField(max_length=200, required=False, label=_("Outlet"))
    byline = forms.CharField(max_length=200, required=False, label=_("Byline"))
    published_on = forms.DateField(required=False, label=_("Published on"))
    source_url = WebURLFormField(
        label=_("Link of the file or text"), required=False, max_length=500
    )

    def fieldsets(self):
        """(title, help, fields) of the form's two parts, for the template."""
        stated = ("title", "outlet", "byline", "published_on", "source_url")
        return [
            (_("The source"), "", [self[name] for name in ("url", "page", "text")]),
            (
                _("For a file or a text: what the page states"),
                _(
                    "Leave blank what it does not state; for a file, blanks are filled from the "
                    "page itself."
                ),
                [self[name] for name in stated],
            ),
        ]

    def clean_page(self):
        page = self.cleaned_data.get("page")
        if page and page.size > MAX_UPLOAD:
            raise ValidationError(
                _("This file is %(size)s bytes; pages up to %(limit)s bytes are read.")
                % {"size": f"{page.size:,}", "limit": f"{MAX_UPLOAD:,}"},
                code="too_big",
            )
        return page

    def clean(self):
        cleaned = super().clean()
        # What was given, its own errors aside (a text too long was still given).
        given = [name for name in ("url", "page", "text") if self.given(name)]
        if len(given) != 1:
            raise ValidationError(
                _("Give one of the three: a link, an HTML file, or the text."), code="one_of"
            )
        if given == ["text"] and not self.data.get("title", "").strip():
            self.add_error("title", _("A pasted text needs its headline."))
        url = cleaned.get("url") or cleaned.get("source_url")
        existing = url and work.same_link(url)
        if existing:
            link = reverse("admin:factcards_source_change", args=[existing.pk])
            raise ValidationError(
                _("This link is already a source: “%(source)s” (%(link)s). Cite that one."),
                params={"source": existing, "link": link},
                code="duplicate",
            )
        return cleaned

    def given(self, name):
        if name == "page":
            return name in self.files
        return bool(self.data.get(name, "").strip())

    def article(self):
        """The Extracted article of a file or a text (ValidationError when there is none)."""
        page, text = self.cleaned_data.get("page"), self.cleaned_data.get("text")
        try:
            if page:
                return extract_html(page.read())
            return extract_text(text)
        except ValueError as error:
            raise ValidationError(str(error), code="no_text") from error


def add_source(model_admin, request):
    """Add a source from a link (fetched by the worker), an HTML file or a pasted text."""
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    form = IntakeForm(request.POST, request.FILES) if request.method == "POST" else IntakeForm()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["url"]:
            with transaction.atomic():
                intake = work.intake_link(data["url"], request.user)
            return HttpResponseRedirect(reverse("admin:factcards_intake_status", args=[intake.pk]))
        try:
            article = form.article()
        except ValidationError as error:
            form.add_error(None, error)
        else:
            with transaction.atomic():
                source = Source(
                    title=(data["title"] or article.title)[:300],
                    outlet=(data["outlet"] or article.outlet)[:200],
                    byline=(data["byline"] or article.byline)[:200],
                    published_on=data["published_on"] or article.published_on,
                    url=data["source_url"],
                    retrieved_on=timezone.localdate(),
                    language=article.language[:12],
                    full_text=article.text,
                )
                source.save(by=request.user)
                work.source_added(source)
            messages.success(
                request,
                _("Source added: “%(source)s”. Its candidate facts are below.")
                % {"source": source},
            )
            return HttpResponseRedirect(candidates_url(source))
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Add a source"),
        "form": form,
        "opts": Source._meta,
        "recent": Intake.objects.filter(created_by=request.user)[:5],
    }
    return TemplateResponse(request, "admin/factcards/source/intake.html", context)


def intake_status(model_admin, request, pk):
    intake = get_object_or_404(Intake, pk=pk)
    if intake.created_by_id != request.user.pk and not FactCard.is_editor(request.user):
        raise PermissionDenied
    if intake.status == Intake.Status.DONE and intake.source_id and not intake.existing:
        return HttpResponseRedirect(candidates_url(intake.source))
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Taking in a link"),
        "intake": intake,
        "opts": Source._meta,
    }
    return TemplateResponse(request, "admin/factcards/source/intake_status.html", context)


def candidates_url(source):
    return reverse("admin:factcards_source_candidates", args=[source.pk])


def excerpt_spans(source):
    """Where each citation's excerpt sits in the source's text: [(start, end, card)]."""
    spans = []
    for citation in source.citations.select_related("card"):
        words = citation.excerpt.split()
        if not words:
            continue
        pattern = r"\s+".join(map(re.escape, words))
        for match in re.finditer(pattern, source.full_text):
            spans.append((match.start(), match.end(), citation.card))
    return spans


def read_source(source):
    """The source's paragraphs, each a list of (text, candidate or None), and every candidate
    with the cards already made of it."""
    found = candidates(source.full_text, published=source.published_on)
    spans = excerpt_spans(source)
    rows = []
    for candidate in found:
        cards = {card for start, end, card in spans if start <= candidate.start < end}
        rows.append((candidate, sorted(cards, key=lambda card: card.pk)))
    used = {candidate.key for candidate, cards in rows if cards}
    # Highlights never overlap: a longer candidate keeps the words (a document's date is
    # still listed, and made into a card, from the table).
    shown, last = [], -1
    for candidate in sorted(found, key=lambda c: (c.start, -(c.end - c.start))):
        if candidate.start >= last:
            shown.append(candidate)
            last = candidate.end
    paragraphs, text, at = [], source.full_text, 0
    pieces = []
    for candidate in shown:
        pieces += [(text[at : candidate.start], None), (candidate.surface, candidate)]
        at = candidate.end
    pieces.append((text[at:], None))
    current = []
    for piece, candidate in pieces:
        if candidate is not None:
            current.append((piece, candidate))
            continue
        chunks = re.split(r"\n\s*\n", piece)
        for n, chunk in enumerate(chunks):
            if n:
                paragraphs.append(current)
                current = []
            if chunk:
                current.append((chunk, None))
    paragraphs.append(current)
    return [p for p in paragraphs if p], rows, used


def source_candidates(model_admin, request, pk):
    source = get_object_or_404(Source, pk=pk)
    if not model_admin.has_view_permission(request, source):
        raise PermissionDenied
    paragraphs, rows, used = read_source(source)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Candidate facts in “%(source)s”") % {"source": source.title or source},
        "source": source,
        "paragraphs": paragraphs,
        "rows": rows,
        "used": used,
        "may_draft": request.user.has_perm("factcards.add_factcard"),
        "opts": Source._meta,
    }
    return TemplateResponse(request, "admin/factcards/source/candidates.html", context)


def draft_from(source, key, user):
    """A draft card of one candidate, citing the sentence verbatim; the candidate is found again
    in the stored text, never taken from the request."""
    found = candidates(source.full_text, published=source.published_on)
    candidate = next((c for c in found if c.key == key), None)
    if candidate is None:
        raise ValidationError(
            _(
                "This candidate is no longer in the source's text (the text changed): reload "
                "the page and click again."
            ),
            code="candidate_gone",
        )
    excerpt = source.full_text[candidate.sentence_start : candidate.sentence_end].strip()
    fields = candidate.card_fields()
    with transaction.atomic():
        # One draft per click however fast the clicks: the source's row is locked (on SQLite,
        # the transaction holds the write lock) while we look for the draft made a moment ago.
        Source.objects.select_for_update().filter(pk=source.pk).first()
        made = (
            FactCard.objects.filter(
                created_by=user,
                status=FactCard.Status.DRAFT,
                citations__source=source,
                citations__excerpt=excerpt,
                **{name: fields[name] for name in ("kind", "statement")},
            )
            .order_by("-pk")
            .first()
        )
        if made is not None:
            return made, False
        card = FactCard(created_by=user, **fields)
        card.save(by=user)
        citation = Citation(card=card, source=source, excerpt=excerpt)
        citation.full_clean(exclude=["card", "position"])
        citation.save(by=user)
    return card, True


def make_draft(model_admin, request, pk):
    if not request.user.has_perm("factcards.add_factcard"):
        raise PermissionDenied
    source = get_object_or_404(Source, pk=pk)
    try:
        card, made = draft_from(source, request.POST.get("candidate", ""), request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return HttpResponseRedirect(candidates_url(source))
    if made:
        messages.success(
            request,
            _(
                "A draft card was made from the candidate, citing its sentence. Check each "
                "field, write the statement as a reader should read it, then submit it for "
                "review."
            ),
        )
    else:
        messages.info(request, _("You already made a draft of this candidate: here it is."))
    return HttpResponseRedirect(reverse("admin:factcards_factcard_change", args=[card.pk]))


# --- suggested differences ---------------------------------------------------------------------


def cite_difference(suggestion_pk, user):
    """Cite the suggested source on the card as giving a different value: on the card itself
    while it is in the works, on a revision once it is published. Returns the card changed."""
    with transaction.atomic():
        suggestion = (
            SuggestedDifference.objects.select_for_update()
            .select_related("card", "source")
            .filter(pk=suggestion_pk)
            .first()
        )
        if suggestion is None:
            raise Http404("No such suggestion.")
        suggestion.refuse_if_decided()
        card = suggestion.card
        if card.is_locked:
            card = FactCard.objects.filter(revision_of=card).first() or card.start_revision(by=user)
        citation = Citation(
            card=card,
            source=suggestion.source,
            excerpt=suggestion.excerpt,
            relation=Citation.Relation.DIFFERS,
            stated_value=suggestion.stated_value,
            position=card.citations.count(),
        )
        citation.full_clean(exclude=["card"])
        citation.save(by=user)
        suggestion.decide(SuggestedDifference.Status.CITED, user)
    return card


def act_on_difference(model_admin, request, pk):
    if not request.user.has_perm("factcards.add_citation"):
        raise PermissionDenied
    back = reverse("admin:index") + "#suggested-differences"
    action = request.POST.get("action", "cite")
    if action not in ("cite", "dismiss"):
        messages.error(request, _("Choose to cite the source on the card or to dismiss it."))
        return HttpResponseRedirect(back)
    try:
        if action == "dismiss":
            try:
                SuggestedDifference.dismiss(pk, request.user)
            except SuggestedDifference.DoesNotExist:
                raise Http404("No such suggestion.") from None
            messages.success(request, _("Suggestion dismissed."))
            return HttpResponseRedirect(back)
        card = cite_difference(pk, request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return HttpResponseRedirect(back)
    if card.is_revision:
        done = _(
            "The source is cited on a revision of the published card as giving a different value."
        )
    else:
        done = _("The source is cited on the card as giving a different value.")
    messages.success(request, done)
    return HttpResponseRedirect(reverse("admin:factcards_factcard_change", args=[card.pk]))


# --- link health -------------------------------------------------------------------------------


def broken_links(limit=None):
    """[(source, cards citing it)] for the sources whose newest link check found it broken."""
    sources = list(work.broken_links()[:limit] if limit else work.broken_links())
    for source in sources:
        source.link_outcome_label = LinkCheck.Outcome(source.link_outcome).label
    citing = {}
    for citation in Citation.objects.filter(source__in=sources).select_related("card"):
        citing.setdefault(citation.source_id, {})[citation.card_id] = citation.card
    return [(source, list(citing.get(source.pk, {}).values())) for source in sources]


def broken_links_view(model_admin, request):
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Broken source links"),
        "broken": broken_links(),
        "opts": Source._meta,
    }
    return TemplateResponse(request, "admin/factcards/source/broken_links.html", context)


def open_differences():
    return SuggestedDifference.objects.filter(
        status=SuggestedDifference.Status.OPEN
    ).select_related("card", "source")
