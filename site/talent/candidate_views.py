"""The candidate's side of the talent pool: the pool's home page, the talent profile a member
opts in with, leaving the pool at once, and the contact requests they receive and answer.

Who sees what is decided in talent.access. A contact request is shown to its candidate and to
the recruiters who manage its need, to nobody else (404). Neither side's e-mail address is shown
before the candidate accepts."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.mail import send_mail
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_tasks import task

from curriculum.models import Competency

from . import access, matching
from .models import ContactRequest, TalentNeed, TalentProfile
from .profile_forms import TalentProfileForm

log = logging.getLogger(__name__)

Status = ContactRequest.Status


def _own_profile(user) -> TalentProfile | None:
    return TalentProfile.objects.filter(user=user).select_related("home_prefecture").first()


# The pool's home ----------------------------------------------------------------------------


@login_required
def home(request):
    user = request.user
    profile = _own_profile(user)
    fits = matching.needs_for(profile, access.needs_readable_by(user)) if profile else []
    recruiter = access.recruiter_for(user)
    pending = ContactRequest.objects.filter(candidate=user, status=Status.PENDING).count()
    return render(
        request,
        "talent/home.html",
        {
            "profile": profile,
            "pools": list(profile.pools.order_by("code")) if profile else [],
            "fits": fits,
            "pending": pending,
            "recruiter": recruiter,
            "sees_pool": recruiter is not None
            and (recruiter.is_prefectural or recruiter.everything),
        },
    )


# The talent profile -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request):
    user = request.user
    profile = _own_profile(user)
    form = TalentProfileForm(
        request.POST if request.method == "POST" else None,
        instance=profile,
        user=user,
        competencies=Competency.objects.order_by("sort_order", "code"),
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
            _withdraw_unreachable(saved)
        if saved.is_open:
            messages.success(
                request, _("Your talent profile has been saved. You are listed in the pools.")
            )
        else:
            messages.success(
                request,
                _("Your talent profile has been saved. It is not listed: nobody can find you."),
            )
        return redirect("talent:home")
    return render(
        request,
        "talent/profile_edit.html",
        {"form": form, "profile": profile, "competency_rows": form.competency_rows()},
    )


def _withdraw_unreachable(profile: TalentProfile) -> None:
    """Requests still awaiting an answer from organisations that can no longer see the
    candidate (the listing turned off, or their prefecture's pool left) are withdrawn with it:
    the candidate was told nobody there could reach them any more."""
    pending = ContactRequest.objects.filter(candidate=profile.user, status=Status.PENDING)
    if profile.is_open:
        pending = pending.exclude(need__organisation__prefecture__in=profile.pools.all())
    pending.update(status=Status.WITHDRAWN, responded_at=timezone.now())


@login_required
@require_POST
def withdraw(request):
    user = request.user
    with transaction.atomic():
        deleted, _counts = TalentProfile.objects.filter(user=user).delete()
        ContactRequest.objects.filter(candidate=user, status=Status.PENDING).update(
            status=Status.WITHDRAWN, responded_at=timezone.now()
        )
    if deleted:
        messages.success(
            request,
            _(
                "You have left the talent pool. Your talent profile is deleted and nobody can "
                "find or contact you any more."
            ),
        )
    else:
        messages.info(request, _("You have no talent profile."))
    return redirect("talent:home")


# Contact requests -----------------------------------------------------------------------------


def _requests():
    return ContactRequest.objects.select_related(
        "need__organisation__prefecture",
        "candidate__profile",
        "sender__profile",
        "sender__organisation_reporter__municipality__prefecture",
    )


@login_required
def requests(request):
    user = request.user
    received = list(_requests().filter(candidate=user))
    recruiter = access.recruiter_for(user)
    sent = []
    if recruiter is not None and recruiter.organisation is not None:
        sent = [
            contact
            for contact in _requests().filter(need__in=access.needs_managed_by(recruiter))
            # Only the requests this recruiter may open (a need shared prefecture-wide is
            # managed by the organisation that posted it).
            if access.can_manage(recruiter, contact.need)
        ]
        # A candidate who left the recruiter's pool is no longer named to them.
        visible = set(
            access.candidates_for(recruiter)
            .filter(user_id__in={contact.candidate_id for contact in sent})
            .values_list("user_id", flat=True)
        )
        for contact in sent:
            contact.candidate_visible = contact.candidate_id in visible
    return render(
        request,
        "talent/requests.html",
        {"received": received, "sent": sent, "recruiter": recruiter},
    )


def _visible_request(request, pk):
    """The request and who is looking: its candidate, or a recruiter who manages its need; and
    whether that recruiter may still see the candidate (while they are in the recruiter's
    pool)."""
    contact = get_object_or_404(_requests(), pk=pk)
    is_candidate = contact.candidate_id == request.user.pk
    recruiter = access.recruiter_for(request.user)
    is_recruiter = access.can_manage(recruiter, contact.need)
    if not (is_candidate or is_recruiter):
        raise Http404
    candidate_visible = (
        is_recruiter
        and access.candidates_for(recruiter).filter(user_id=contact.candidate_id).exists()
    )
    return contact, is_candidate, is_recruiter, candidate_visible


@login_required
def request_detail(request, pk):
    contact, is_candidate, is_recruiter, candidate_visible = _visible_request(request, pk)
    sender = contact.sender
    reporter = getattr(sender, "organisation_reporter", None) if sender else None
    accepted = contact.status == Status.ACCEPTED
    return render(
        request,
        "talent/request_detail.html",
        {
            "contact": contact,
            "need": contact.need,
            "is_candidate": is_candidate,
            "is_recruiter": is_recruiter,
            "accepted": accepted,
            "pending": contact.status == Status.PENDING,
            "need_open": contact.need.status == TalentNeed.Status.OPEN,
            "candidate_visible": candidate_visible,
            # The candidate agreed to show their address to the person who wrote, no one else.
            "show_candidate_email": accepted
            and candidate_visible
            and contact.sender_id == request.user.pk,
            "sender_organisation": reporter.municipality if reporter else None,
        },
    )


@login_required
@require_POST
def respond(request, pk):
    # Only the candidate answers; to anyone else the request does not exist.
    get_object_or_404(ContactRequest, pk=pk, candidate=request.user)
    decision = request.POST.get("decision")
    if decision not in ("accept", "decline"):
        messages.error(request, _("Choose to accept or to decline the request."))
        return redirect("talent:request", pk=pk)
    with transaction.atomic():
        contact = ContactRequest.objects.select_for_update().get(pk=pk, candidate=request.user)
        if contact.status != Status.PENDING:
            messages.info(request, _("This request has already been answered."))
            return redirect(contact)
        if decision == "accept" and contact.need.status != TalentNeed.Status.OPEN:
            messages.error(
                request, _("This need is closed: the request can no longer be accepted.")
            )
            return redirect(contact)
        contact.status = Status.ACCEPTED if decision == "accept" else Status.DECLINED
        contact.responded_at = timezone.now()
        contact.save(update_fields=["status", "responded_at"])
        if contact.status == Status.ACCEPTED and contact.sender_id:
            contact_id = contact.pk
            transaction.on_commit(lambda: send_acceptance_notice.enqueue(contact_id))
    if contact.status == Status.ACCEPTED:
        messages.success(
            request,
            _(
                "You accepted the request. You now see each other's e-mail address; the sender "
                "has been told."
            ),
        )
    else:
        messages.success(
            request, _("You declined the request. The sender sees only that you declined.")
        )
    return redirect(contact)


# E-mail ---------------------------------------------------------------------------------------


def _base_url() -> str:
    return getattr(settings, "WAGTAILADMIN_BASE_URL", "").rstrip("/")


@task()
def send_acceptance_notice(contact_id: int) -> int:
    """Tells the recruiter who wrote that the candidate accepted, in the site's language."""
    contact = (
        ContactRequest.objects.filter(pk=contact_id, status=Status.ACCEPTED)
        .select_related("need__organisation", "candidate__profile", "sender")
        .first()
    )
    if contact is None or contact.sender is None:
        return 0
    sender = contact.sender
    if not sender.email or not sender.is_active:
        return 0
    # Someone who no longer recruits for the organisation is not told who accepted.
    if not access.can_manage(access.recruiter_for(sender), contact.need):
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        names = {
            "name": contact.candidate.profile.display_name,
            "need": contact.need.title,
        }
        subject = _("%(name)s accepted your contact request about “%(need)s”") % names
        url = _base_url() + reverse("talent:request", args=[contact.pk])
        body = "\n\n".join(
            [
                _(
                    "%(name)s accepted the contact request you sent about “%(need)s”. "
                    "You can now see their e-mail address on the request's page:"
                )
                % names,
                url,
                _("You receive this because you sent the request through the talent pool."),
            ]
        )
    try:
        send_mail(subject, body + "\n", None, [sender.email])
    except Exception:  # the request page shows the acceptance whatever the mail server does
        log.exception("could not e-mail the acceptance of contact request %s", contact_id)
        return 0
    return 1
