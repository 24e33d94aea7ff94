"""The learner's side of credentials: the wallet, each award's page (public only if the holder
opts in), downloads, the printable certificate, the verify page and the competency framework."""

import hashlib
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from curriculum.models import Competency, Role

from . import api, keys, proofs, verification
from . import sharing as share
from .forms import SharingForm, VerifyForm
from .models import Award, IssuerSettings


def _visible_award(request, award_id) -> Award:
    award = get_object_or_404(
        Award.objects.select_related("definition", "definition__image", "user__profile"),
        uuid=award_id,
    )
    # Not opted in: 404, not 403, so an award's existence is not disclosed either.
    if not award.visible_to(request.user):
        raise Http404
    return award


@login_required
def wallet(request):
    awards = (
        Award.objects.filter(user=request.user)
        .select_related("definition", "definition__image")
        .prefetch_related("definition__image__renditions", "definition__competencies")
        .order_by("-issued_at")
    )
    issuer = IssuerSettings.load()
    for each in awards:
        each.share_links = share.links_for(each, issuer)
    return render(request, "credentials/wallet.html", {"awards": awards})


def award(request, award_id):
    award = _visible_award(request, award_id)
    report = verification.verify_credential(award.credential)
    response = render(
        request,
        "credentials/award.html",
        {
            "award": award,
            "report": report,
            "is_holder": request.user.is_authenticated and request.user.pk == award.user_id,
            "sharing_form": SharingForm(instance=award),
            "share_links": share.links_for(award),
            "holder_name": _holder_name(award),
        },
    )
    if not (award.is_public and award.is_indexable):
        response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _holder_name(award: Award) -> str:
    profile = getattr(award.user, "profile", None)
    return (profile and profile.display_name) or award.user.get_full_name() or _("The holder")


@login_required
@require_POST
def sharing(request, award_id):
    award = get_object_or_404(Award, uuid=award_id, user=request.user)
    form = SharingForm(request.POST, instance=award)
    if form.is_valid():
        form.save()
        if award.is_public:
            messages.success(request, _("Anyone with the address can now see this credential."))
        else:
            messages.success(request, _("This credential is now visible to you only."))
    else:
        messages.error(request, _("The sharing settings could not be saved."))
    return redirect(award.get_absolute_url())


def _download(content: str, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Robots-Tag"] = "noindex"
    return response


def download_json(request, award_id):
    award = _visible_award(request, award_id)
    # The signed credential never changes once issued (re-signing gives a new proof): its proof
    # is its version. Checked after visibility, so a 304 never outlives the holder's consent.
    proof = json.dumps(award.credential.get("proof"), sort_keys=True)
    etag = f'"{hashlib.sha256(f"{award.uuid}|{proof}".encode()).hexdigest()[:32]}"'
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        return not_modified
    response = _download(
        api.pretty(award.credential),
        f"credential-{award.uuid}.json",
        "application/json; charset=utf-8",
    )
    response["ETag"] = etag
    return response


def download_jwt(request, award_id):
    award = _visible_award(request, award_id)
    return _download(
        proofs.to_jwt(award.credential), f"credential-{award.uuid}.jwt", "application/jwt"
    )


def certificate(request, award_id):
    award = _visible_award(request, award_id)
    return render(
        request,
        "credentials/certificate.html",
        {
            "award": award,
            "holder_name": _holder_name(award),
            "verify_url": keys.base_url() + reverse("credentials:verify"),
        },
    )


def verify(request):
    report = None
    error = None
    form = VerifyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            report = verification.verify_text(form.credential_text())
        except ValueError as problem:
            error = str(problem)
    return render(
        request,
        "credentials/verify.html",
        {"form": form, "report": report, "error": error},
        status=400 if request.method == "POST" and (error or not form.is_valid()) else 200,
    )


def framework(request):
    roles = Role.objects.prefetch_related("requirements__competency")
    competencies = list(Competency.objects.all())
    ladder = []
    for role in roles:
        levels = {r.competency_id: r.level for r in role.requirements.all()}
        ladder.append((role, [levels.get(c.pk) for c in competencies]))
    return render(
        request,
        "credentials/framework.html",
        {"roles": roles, "competencies": competencies, "ladder": ladder},
    )
