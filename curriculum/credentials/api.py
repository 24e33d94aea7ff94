"""The public, machine-facing side of the credentials: the verify API (no login, no CSRF token:
it changes nothing), the issuer's DID document and JWKS, the status lists and the achievements."""

import hashlib
import json

from django.core.exceptions import RequestDataTooBig
from django.db.models import Count, Max
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import get_conditional_response
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import condition, require_GET, require_POST, require_safe

from . import badges, keys, openbadges, status, verification
from .models import CredentialDefinition, SigningKey, StatusPosition

MAX_BODY = 1_000_000


def _failed(message: str, http_status: int) -> JsonResponse:
    return JsonResponse(
        {"verified": False, "checks": [], "errors": [message]},
        status=http_status,
        json_dumps_params={"ensure_ascii": False},
    )


@csrf_exempt
@require_POST
def verify(request):
    """JSON body (the credential, or {"credential": …} / {"jwt": …}) or a bare JWT."""
    too_big = _failed(_("The credential is larger than 1 MB."), 413)
    try:
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY:
            return too_big
        body = request.body
    except (ValueError, RequestDataTooBig):
        return too_big
    if len(body) > MAX_BODY:
        return too_big
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _failed(_("The body is not UTF-8 text."), 400)
    try:
        report = verification.verify_text(text)
    except ValueError as error:
        return _failed(str(error), 400)
    return JsonResponse(report.as_json(), json_dumps_params={"ensure_ascii": False})


def _json(data, content_type="application/json"):
    return JsonResponse(
        data,
        content_type=content_type,
        json_dumps_params={"ensure_ascii": False, "indent": 2},
    )


@require_GET
@cache_control(max_age=300, public=True)
def did_document(request):
    return _json(keys.did_document(), "application/did+json")


@require_GET
@cache_control(max_age=300, public=True)
def jwks(request):
    return _json(keys.jwks())


@require_GET
@cache_control(max_age=300, public=True)
def issuer(request):
    return _json({"@context": openbadges.CONTEXT, **openbadges.issuer_profile()})


def status_list_etag(request, number) -> str:
    """What a status list says, without signing it: its revoked positions (a revocation is never
    undone, so their number and the latest time tell), the signing key and the issuer. Weak, as
    each signing stamps a new validFrom; a verifier polling the list gets 304 until it changes."""
    start = (number - 1) * status.LIST_SIZE
    revoked = StatusPosition.objects.filter(
        index__gte=start, index__lt=start + status.LIST_SIZE, revoked_at__isnull=False
    ).aggregate(count=Count("pk"), latest=Max("revoked_at"))
    kid = SigningKey.objects.filter(is_active=True).values_list("kid", flat=True).first()
    state = f"{number}|{revoked['count']}|{revoked['latest']}|{kid}|{keys.base_url()}"
    return f'W/"{hashlib.sha256(state.encode()).hexdigest()[:32]}"'


@require_GET
@cache_control(max_age=60, public=True)
@condition(etag_func=status_list_etag)
def status_list(request, number):
    if not 1 <= number <= status.list_count():
        raise Http404
    return _json(status.status_list_credential(number), "application/vc+ld+json")


@require_GET
@cache_control(max_age=300, public=True)
def achievement(request, slug):
    definition = get_object_or_404(CredentialDefinition, slug=slug)
    return _json({"@context": openbadges.CONTEXT, **openbadges.achievement(definition)})


# The drawing is an image, not a document: nothing in it may run or load anything.
BADGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'"
YEAR = 365 * 24 * 60 * 60


@require_safe
def badge(request, definition_id):
    """The badge drawn for a credential (badges.py). Its address carries the drawing's version:
    asked for with the current one, it may be kept for a year; an older address (in a credential
    signed before a rename) still answers, with today's drawing, for an hour at a time."""
    definition = get_object_or_404(
        CredentialDefinition.objects.prefetch_related("competencies"), pk=definition_id
    )
    drawing = badges.draw(definition)
    current = badges.version(drawing)
    if request.GET.get("v") == current:
        cache = f"public, max-age={YEAR}, immutable"
    else:
        cache = "public, max-age=3600"
    etag = f'"{current}"'
    response = get_conditional_response(request, etag=etag) or HttpResponse(
        drawing.encode(), content_type="image/svg+xml"
    )
    response["ETag"] = etag
    response["Cache-Control"] = cache
    response["Content-Security-Policy"] = BADGE_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    return response


def pretty(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
