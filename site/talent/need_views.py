"""The recruiter's side of the talent pool: needs (posted, read, edited, closed), the ranked
candidates for a need, a candidate's page, and writing to a candidate.

Every rule of who sees what is asked of talent.access: a member reads the needs published to
them; a recruiter also sees and manages their organisation's; the match list, a candidate's page
and contact are for the recruiters access allows. A candidate's e-mail address appears nowhere
here: contact goes through a request the candidate accepts or declines."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from curriculum.credentials.models import Award
from curriculum.models.competencies import Competency

from . import access, matching
from .models import (
    ContactRequest,
    NeedRequirement,
    TalentNeed,
    TalentProfile,
)
from .need_forms import CloseForm, ContactForm, NeedForm
from .showcase import own_answers, own_awards, own_cases

log = logging.getLogger(__name__)

NEEDS_PAGE_SIZE = 20
MATCHES_PAGE_SIZE = 50
CONTACTS_PER_DAY = 20


def _needs():
    return TalentNeed.objects.select_related("organisation__prefecture")


def _with_requirements(queryset):
    return queryset.prefetch_related(
        Prefetch("requirements", queryset=NeedRequirement.objects.select_related("competency"))
    )


# Needs -----------------------------------------------------------------------------------------


@login_required
def needs(request):
    recruiter = access.recruiter_for(request.user)
    readable = (
        access.needs_readable_by(request.user)
        .filter(status=TalentNeed.Status.OPEN)
        .select_related("organisation__prefecture")
        .order_by("-created_at", "-pk")
    )
    page_obj = Paginator(readable, NEEDS_PAGE_SIZE).get_page(request.GET.get("page"))
    managed_page = None
    if recruiter is not None:
        managed = (
            access.needs_managed_by(recruiter)
            .select_related("organisation__prefecture")
            .annotate(contact_count=Count("contacts"))
            .order_by("-created_at", "-pk")
        )
        managed_page = Paginator(managed, NEEDS_PAGE_SIZE).get_page(request.GET.get("mine"))
        for need in managed_page:
            # A need another municipality shares with the prefecture: its contacts are its own.
            need.manageable = access.can_manage(recruiter, need)
    return render(
        request,
        "talent/needs.html",
        {
            "page_obj": page_obj,
            "managed_page": managed_page,
            "recruiter": recruiter,
            "can_post": recruiter is not None and recruiter.can_post,
        },
    )


def _poster(request) -> access.Recruiter:
    """The recruiter who may post, or a refusal (403) for anyone else signed in."""
    recruiter = access.recruiter_for(request.user)
    if recruiter is None or not recruiter.can_post:
        raise PermissionDenied
    return recruiter


def _managed_need(request, pk) -> tuple[access.Recruiter, TalentNeed]:
    need = get_object_or_404(_needs(), pk=pk)
    recruiter = access.recruiter_for(request.user)
    if not access.can_manage(recruiter, need):
        raise Http404
    return recruiter, need


@login_required
@require_http_methods(["GET", "POST"])
def need_create(request):
    recruiter = _poster(request)
    form = NeedForm(request.POST or None, recruiter=recruiter)
    if request.method == "POST" and form.is_valid():
        need = form.save(user=request.user)
        messages.success(request, _("The need is posted."))
        return redirect(need)
    return render(request, "talent/need_form.html", {"form": form, "recruiter": recruiter})


@login_required
@require_http_methods(["GET", "POST"])
def need_edit(request, pk):
    recruiter, need = _managed_need(request, pk)
    if need.status != TalentNeed.Status.OPEN:
        messages.info(request, _("A closed need cannot be edited."))
        return redirect(need)
    form = NeedForm(request.POST or None, instance=need, recruiter=recruiter)
    if request.method == "POST" and form.is_valid():
        need = form.save()
        messages.success(request, _("The need is saved."))
        return redirect(need)
    return render(
        request, "talent/need_form.html", {"form": form, "need": need, "recruiter": recruiter}
    )


@login_required
@require_POST
def need_close(request, pk):
    _recruiter, need = _managed_need(request, pk)
    form = CloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose how the need ended."))
        return redirect(need)
    if need.status != TalentNeed.Status.OPEN:
        messages.info(request, _("The need was already closed."))
        return redirect(need)
    need.status = form.cleaned_data["outcome"]
    need.closed_at = timezone.now()
    need.save(update_fields=["status", "closed_at", "updated_at"])
    messages.success(request, _("The need is closed."))
    return redirect(need)


def _own_fit(user, need) -> matching.Fit | None:
    """How the viewer fits the need, when they have an open talent profile."""
    profile = TalentProfile.objects.open().filter(user=user).first()
    if profile is None:
        return None
    return matching.fit_of(profile, need)


@login_required
def need_detail(request, pk):
    need = get_object_or_404(
        _with_requirements(
            access.needs_readable_by(request.user).select_related(
                "organisation__prefecture", "posted_by__profile"
            )
        ),
        pk=pk,
    )
    recruiter = access.recruiter_for(request.user)
    can_manage = access.can_manage(recruiter, need)
    fit = _own_fit(request.user, need)
    own_request = None
    if fit is not None:
        own_request = ContactRequest.objects.filter(need=need, candidate=request.user).first()
    return render(
        request,
        "talent/need_detail.html",
        {
            "need": need,
            "requirements": list(need.requirements.all()),
            "can_manage": can_manage,
            "can_see_matches": access.can_see_matches(recruiter, need),
            "contact_count": need.contacts.count() if can_manage else None,
            "close_form": CloseForm() if can_manage and need.status == need.Status.OPEN else None,
            "fit": fit,
            "own_request": own_request,
        },
    )


# Matches ---------------------------------------------------------------------------------------


@login_required
def matches(request, pk):
    need = get_object_or_404(_with_requirements(_needs()), pk=pk)
    recruiter = access.recruiter_for(request.user)
    if not access.can_see_matches(recruiter, need):
        raise Http404
    candidates = access.candidates_for(recruiter, need.organisation.prefecture_id)
    fits = matching.rank_candidates(need, candidates.prefetch_related("roles"))
    page_obj = Paginator(fits, MATCHES_PAGE_SIZE).get_page(request.GET.get("page"))
    can_manage = access.can_manage(recruiter, need)
    contacted = {}
    if can_manage:
        ids = [fit.profile.user_id for fit in page_obj]
        contacted = {
            contact.candidate_id: contact
            for contact in ContactRequest.objects.filter(need=need, candidate_id__in=ids)
        }
    rows = [
        {
            "rank": page_obj.start_index() + index,
            "fit": fit,
            "contact": contacted.get(fit.profile.user_id),
        }
        for index, fit in enumerate(page_obj)
    ]
    return render(
        request,
        "talent/matches.html",
        {
            "need": need,
            "requirements": list(need.requirements.all()),
            "page_obj": page_obj,
            "rows": rows,
            "can_manage": can_manage,
        },
    )


# A candidate -----------------------------------------------------------------------------------


def _levels(profile) -> tuple[list[dict], list[Award]]:
    """Per competency: the level the candidate declares and the one their shown standing
    credentials prove (with the credentials' names); and those credentials. Four queries."""
    awards = list(
        own_awards(profile.user_id)
        .filter(pk__in=profile.shown_awards.values("pk"))
        .prefetch_related("definition__competencies")
    )
    proven: dict[int, tuple[int, list[str]]] = {}
    for award in awards:
        for link in award.definition.competencies.all():
            best, names = proven.get(link.competency_id, (0, []))
            name = award.definition.name
            if link.level > best:
                proven[link.competency_id] = (link.level, [name])
            elif link.level == best and name not in names:
                names.append(name)
    declared = {c.competency_id: c.level for c in profile.claims.all()}
    ids = set(proven) | set(declared)
    rows = []
    for competency in Competency.objects.filter(pk__in=ids):
        level, names = proven.get(competency.pk, (0, []))
        rows.append(
            {
                "competency": competency,
                "declared": declared.get(competency.pk, 0),
                "verified": level,
                "proof": names,
            }
        )
    return rows, awards


@login_required
def candidate(request, pk):
    profile = get_object_or_404(
        TalentProfile.objects.select_related("user__profile", "home_prefecture").prefetch_related(
            "roles", "pools"
        ),
        pk=pk,
    )
    if profile.user_id != request.user.pk:
        recruiter = access.recruiter_for(request.user)
        if not access.can_see_candidate(recruiter, profile):
            raise Http404
    levels, awards = _levels(profile)
    user = profile.user
    cases = own_cases(user).filter(pk__in=profile.shown_cases.values("pk"))
    answers = own_answers(user).filter(pk__in=profile.shown_answers.values("pk"))
    return render(
        request,
        "talent/candidate.html",
        {
            "candidate": profile,
            "person": user.profile,
            "is_self": profile.user_id == request.user.pk,
            "levels": levels,
            "awards": awards,
            "cases": list(cases),
            "answers": list(answers),
        },
    )


# Contact ---------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def contact(request, pk, profile_pk):
    recruiter, need = _managed_need(request, pk)
    if need.status != TalentNeed.Status.OPEN:
        raise Http404
    profile = get_object_or_404(
        access.candidates_for(recruiter, need.organisation.prefecture_id).select_related(
            "user__profile"
        ),
        pk=profile_pk,
    )
    existing = ContactRequest.objects.filter(need=need, candidate_id=profile.user_id).first()
    if existing is not None:
        messages.info(request, _("You have already written to this person about this need."))
        return redirect(existing)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        since = timezone.now() - timedelta(days=1)
        sent_today = ContactRequest.objects.filter(
            sender=request.user, created_at__gte=since
        ).count()
        if sent_today >= CONTACTS_PER_DAY:
            form.add_error(
                None,
                _(
                    "You have written to %(count)s candidates in the last 24 hours, the most "
                    "allowed. Try again tomorrow."
                )
                % {"count": CONTACTS_PER_DAY},
            )
        else:
            try:
                with transaction.atomic():
                    request_ = ContactRequest.objects.create(
                        need=need,
                        candidate=profile.user,
                        sender=request.user,
                        message=form.cleaned_data["message"],
                    )
            except IntegrityError:  # written a moment ago, in another tab
                existing = ContactRequest.objects.get(need=need, candidate_id=profile.user_id)
                return redirect(existing)
            transaction.on_commit(lambda: tell_candidate(request_.pk))
            messages.success(
                request,
                _("Your message is sent. You will see their e-mail address if they accept."),
            )
            return redirect(request_)
    return render(
        request,
        "talent/contact.html",
        {"need": need, "candidate": profile, "person": profile.user.profile, "form": form},
    )


def tell_candidate(request_id: int) -> None:
    """E-mails the candidate that an organisation wrote to them, with a link to the request.
    Neither the sender's address nor their name is in it: the request page shows what the
    candidate may see."""
    contact = (
        ContactRequest.objects.filter(pk=request_id)
        .select_related("need__organisation__prefecture", "candidate")
        .first()
    )
    if contact is None:
        return
    recipient = contact.candidate
    if not recipient.email or not recipient.is_active:
        return
    base = getattr(settings, "WAGTAILADMIN_BASE_URL", "").rstrip("/")
    with translation.override(settings.LANGUAGE_CODE):
        need = contact.need
        subject = gettext("%(organisation)s wrote to you about “%(title)s”") % {
            "organisation": str(need.organisation),
            "title": need.title,
        }
        body = "\n\n".join(
            [
                gettext(
                    "%(organisation)s wrote to you through the talent pool about the need "
                    "“%(title)s”."
                )
                % {"organisation": str(need.organisation), "title": need.title},
                gettext("Read the message, then accept or decline:"),
                base + reverse("talent:request", args=[contact.pk]),
                gettext(
                    "They do not see your e-mail address unless you accept. You receive this "
                    "because you are in a talent pool; you can leave it at any time: %(url)s"
                )
                % {"url": base + reverse("talent:profile_edit")},
            ]
        )
    try:
        send_mail(subject, body + "\n", None, [recipient.email])
    except Exception:  # the request stands; the candidate also sees it on the site
        log.exception("could not email contact request %s", contact.pk)
