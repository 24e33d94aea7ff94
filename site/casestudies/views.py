"""Writing a case study from the site: my cases with their status, the four-step form with a
sanitised preview, submission to moderation, the author's preview, and "we did this too"."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from wagtail.documents import get_document_model

from core import idempotency
from core.markdown import render_preview
from core.slugs import readable_slug, unique_among
from people.mfa import acting_for_others

from . import submission
from .forms import STEP_NAMES, STEPS
from .models import Attachment, CaseStudyIndexPage, CaseStudyPage, Replication


def _index() -> CaseStudyIndexPage:
    index = CaseStudyIndexPage.objects.filter(locale__language_code="ja").first()
    if index is None:
        raise Http404
    return index


def _own_case(request, page_id) -> CaseStudyPage:
    page = get_object_or_404(CaseStudyPage, pk=page_id)
    if not submission.is_author(request.user, page):
        # Not one's own: the same answer as a case that does not exist.
        raise Http404
    return page


@login_required
def my_cases(request):
    cases = []
    for page in submission.cases_of(request.user):
        state = submission.last_workflow_state(page)
        status = submission.status_of(page, state)
        cases.append(
            {
                "page": page,
                "title": page.draft_title,
                "status": status,
                "status_label": submission.Status.LABELS[status],
                "comment": submission.reviewer_comment(state)
                if status == submission.Status.CHANGES_REQUESTED
                else "",
            }
        )
    return render(request, "casestudies/my_cases.html", {"cases": cases})


def _children(step, page, data=None):
    child = STEPS[step][2]
    if child is None:
        return None
    name, formset_class, _model = child
    fields = list(formset_class.form._meta.fields)
    initial = [{f: getattr(item, f) for f in fields} for item in getattr(page, name).all()]
    return formset_class(data, initial=initial, prefix=name)


@login_required
def edit(request, page_id=None, step="basics"):
    if step not in STEPS:
        raise Http404
    if page_id is None:
        if step != "basics":
            raise Http404
        page = CaseStudyPage(figure_status="published")
    else:
        own = _own_case(request, page_id)
        if submission.in_moderation(own):
            # What moderators review is what gets published: no edits while they look at it.
            messages.info(
                request, _("This case is in moderation: it can be edited again after the review.")
            )
            return redirect("casestudies:mine")
        page = submission.latest(own)
    label, form_class, _child = STEPS[step]
    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    form = form_class(data, files, instance=page)
    children = _children(step, page, data)
    previews = {}
    if request.method == "POST":
        valid = form.is_valid() and (children is None or children.is_valid())
        if request.POST.get("action") == "preview":
            previews = {
                name: render_preview(request.POST.get(name, ""))
                for name in ("problem", "approach", "lessons", "pitfalls")
                if name in form.fields
            }
        elif valid:
            # Sent twice (a double click), the step is saved once: a new case is not created
            # twice, nor an attachment stored twice (core.idempotency).
            try:
                with idempotency.once(request) as done:
                    page = _apply(request, step, form, children, page)
                    index = _index()
                    if page.pk is None:
                        page.slug = _unique_slug(index, page.title)
                    submission.save_draft(request.user, index, page)
                    if request.POST.get("action") == "next" and step != STEP_NAMES[-1]:
                        following = STEP_NAMES[STEP_NAMES.index(step) + 1]
                        target = reverse("casestudies:edit", args=[page.pk, following])
                    else:
                        messages.success(request, _("Saved as a draft."))
                        target = reverse("casestudies:edit", args=[page.pk, step])
                    done(target)
            except idempotency.AlreadySubmitted as repeat:
                return redirect(repeat.url)
            return redirect(target)
    return render(
        request,
        "casestudies/edit.html",
        {
            "page": page,
            "step": step,
            "step_label": label,
            "steps": [(name, STEPS[name][0]) for name in STEP_NAMES],
            "form": form,
            "children": children,
            "previews": previews,
            "is_last": step == STEP_NAMES[-1],
            "missing": submission.missing_for_moderation(page) if page.pk else [],
        },
        status=400 if request.method == "POST" and not previews and data is not None else 200,
    )


def _apply(request, step, form, children, page):
    page = form.save(commit=False)
    if "topics" in form.cleaned_data:
        page.topics = list(form.cleaned_data["topics"])
    if children is not None:
        name, _formset, model = STEPS[step][2]
        setattr(
            page,
            name,
            [
                model(**{k: v for k, v in row.cleaned_data.items() if k not in ("DELETE", "id")})
                for row in children.forms
                if row.cleaned_data and not row.cleaned_data.get("DELETE")
            ],
        )
    upload = form.cleaned_data.get("attachment")
    if upload:
        document = get_document_model()(
            title=form.cleaned_data["attachment_description"],
            file=upload,
            collection=submission.attachment_collection(),
            uploaded_by_user=request.user,
        )
        document.full_clean()
        document.save()
        page.attachments = [
            *page.attachments.all(),
            Attachment(document=document, description=form.cleaned_data["attachment_description"]),
        ]
    return page


def _unique_slug(index, title) -> str:
    """A readable address from the title, romanised (「窓口のキャッシュレス化」 →
    madoguchi-no-kyasshuresu-ka), unique in the library."""
    return unique_among(index.get_children(), readable_slug(title, fallback="case"))


@login_required
@require_POST
def submit(request, page_id):
    page = _own_case(request, page_id)
    missing = submission.missing_for_moderation(submission.latest(page))
    if missing:
        messages.error(
            request,
            _("Before moderation, add: %(missing)s.") % {"missing": "、".join(missing)},
        )
        return redirect("casestudies:edit", page_id=page.pk, step="lessons")
    try:
        submission.submit(request.user, page)
    except submission.CannotSubmit as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request, _("Submitted. A moderator will review it; you will be told by email.")
        )
    return redirect("casestudies:mine")


def _previews_others_case(request, page_id):
    page = CaseStudyPage.objects.filter(pk=page_id).first()
    return page is not None and not submission.is_author(request.user, page)


@acting_for_others(_previews_others_case)
def preview(request, page_id):
    page = get_object_or_404(CaseStudyPage, pk=page_id)
    if not (
        submission.is_author(request.user, page) or submission.can_moderate(request.user, page)
    ):
        raise Http404
    draft = submission.latest(page)
    response = render(
        request,
        "casestudies/case_study_page.html",
        {"page": draft, "self": draft, "is_preview": True, **draft.get_case_context(request)},
    )
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
@require_POST
def markdown_preview(request):
    html = render_preview(request.POST.get("text", ""))
    return HttpResponse(html, content_type="text/html; charset=utf-8")


@login_required
@require_POST
def replicate(request, page_id):
    page = get_object_or_404(CaseStudyPage.objects.live().public(), pk=page_id)
    if request.POST.get("undo"):
        Replication.objects.filter(page=page, user=request.user).delete()
        messages.info(request, _("Removed: your municipality is no longer listed as doing this."))
    elif Replication.objects.get_or_create(page=page, user=request.user)[1]:
        messages.success(request, _("Thank you: your municipality is counted as doing this too."))
    return redirect(page.get_url(request) or reverse("casestudies:mine"))
