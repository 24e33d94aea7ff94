"""Two-factor authentication for the people who can change what others see.

With `MFA_REQUIRED_FOR_STAFF` on, staff, superusers, anyone who may enter the Wagtail admin and
moderators of the knowledge base need an active authenticator app (allauth's TOTP) before they use
the admin or moderate on the site; until then they are sent to set one up. Members who hold no
such power are never asked.

Whatever the setting, the admin has one way in: Wagtail's own sign-in form would accept a password
alone, skipping allauth's rate limits and its MFA stage, so it sends people to allauth's."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpResponseForbidden, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

MFA_REQUIRED_MESSAGE = _(
    "Your role lets you change what other members see, so your account needs two-factor "
    "authentication. Set up an authenticator app to continue to the admin and moderation tools."
)


def holds_privileges(user) -> bool:
    """Staff, superusers, Wagtail admin users and knowledge-base moderators."""
    return bool(
        user.is_authenticated
        and (
            user.is_staff
            or user.is_superuser
            or user.has_perm("wagtailadmin.access_admin")
            or user.has_perm("knowledge.moderate_posts")
        )
    )


def has_active_totp(user) -> bool:
    # Asked several times per page (every moderator-only field): once per request's user.
    cached = getattr(user, "_has_active_totp", None)
    if cached is None:
        cached = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        user._has_active_totp = cached
    return cached


def mfa_setup_required(user) -> bool:
    """True for a privileged member who must still set up an authenticator app."""
    return bool(
        settings.MFA_REQUIRED_FOR_STAFF and holds_privileges(user) and not has_active_totp(user)
    )


def privileges_in_force(user) -> bool:
    """Whether a privileged member's powers count now. With MFA_REQUIRED_FOR_STAFF, staff and
    moderators without an active authenticator app are members like any other outside the
    admin too: every moderator-only view and field (who asked anonymously, hidden posts,
    private profiles, drafts and their files, everyone's learning records) asks this, so no
    power is usable on a password alone."""
    return not mfa_setup_required(user)


def _author_of_post(kind, pk):
    from knowledge.models import Answer, Question

    model = {"question": Question, "answer": Answer}.get(kind)
    if model is None:
        return None
    return model.objects.filter(pk=pk).values_list("author_id", flat=True).first()


def _asker_of_answer(pk):
    from knowledge.models import Answer

    return Answer.objects.filter(pk=pk).values_list("question__author_id", flat=True).first()


def _acts_for_others(request, match) -> bool:
    """Whether this site view would use moderator powers: acting on someone else's post or case.
    On their own posts moderators are members like any other."""
    user_id = request.user.pk
    name = match.view_name
    kwargs = match.kwargs
    if name in ("knowledge:reopen", "curriculum:all_statements"):
        return True
    if name == "knowledge:close":
        return _author_of_post("question", kwargs["pk"]) not in (None, user_id)
    if name == "knowledge:accept":
        return _asker_of_answer(kwargs["pk"]) not in (None, user_id)
    if name == "knowledge:edit":
        return _author_of_post(kwargs["kind"], kwargs["pk"]) not in (None, user_id)
    if name == "casestudies:preview":
        from casestudies import submission
        from casestudies.models import CaseStudyPage

        page = CaseStudyPage.objects.filter(pk=kwargs["page_id"]).first()
        return page is not None and not submission.is_author(request.user, page)
    return False


class MFARequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == reverse("wagtailadmin_login"):
            return self._to_allauth_login(request)
        return self.get_response(request)

    def _to_allauth_login(self, request):
        target = request.GET.get(REDIRECT_FIELD_NAME, "")
        # Only a path on this site; allauth checks it again when it redirects.
        if not target.startswith("/") or not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = reverse("wagtailadmin_home")
        query = QueryDict(mutable=True)
        query[REDIRECT_FIELD_NAME] = target
        return redirect(f"{reverse('account_login')}?{query.urlencode(safe='/')}")

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.MFA_REQUIRED_FOR_STAFF or not request.user.is_authenticated:
            return None
        in_admin = request.path.startswith(reverse("wagtailadmin_home"))
        if in_admin:
            if request.path == reverse("wagtailadmin_logout"):
                return None
        elif request.resolver_match is None or not _acts_for_others(
            request, request.resolver_match
        ):
            return None
        if not mfa_setup_required(request.user):
            return None
        if request.headers.get("x-requested-with") == "XMLHttpRequest":
            return HttpResponseForbidden(MFA_REQUIRED_MESSAGE)
        return redirect("mfa_activate_totp")
