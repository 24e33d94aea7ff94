import json

from allauth.account.decorators import reauthentication_required
from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from core.models import Topic

from . import privacy
from .forms import DeleteAccountForm, DirectoryFilterForm, ProfileForm
from .models import Prefecture, Profile

DIRECTORY_PAGE_SIZE = 30


def _profiles():
    return Profile.objects.select_related("municipality__prefecture", "user").prefetch_related(
        Prefetch("expertise", queryset=Topic.objects.order_by("sort_order", "name_ja"))
    )


@login_required
def me(request):
    return redirect(request.user.profile)


def profile_detail(request, pk):
    profile = get_object_or_404(_profiles().visible_to(request.user), pk=pk)
    return render(
        request,
        "people/profile_detail.html",
        {"profile": profile, "is_owner": profile.user_id == request.user.pk},
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request, pk):
    profile = get_object_or_404(Profile, pk=pk)
    # Only the owner edits a profile; staff manage accounts in the admin.
    if profile.user_id != request.user.pk:
        raise PermissionDenied
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile has been saved."))
        return redirect(profile)
    return render(request, "people/profile_edit.html", {"form": form, "profile": profile})


def directory(request):
    form = DirectoryFilterForm(
        request.GET, prefectures=Prefecture.objects.all(), topics=Topic.objects.all()
    )
    filters = form.filters()
    profiles = _profiles().public().order_by("display_name", "pk")
    if "prefecture" in filters:
        profiles = profiles.filter(municipality__prefecture__code=filters["prefecture"])
    if "topic" in filters:
        profiles = profiles.filter(expertise__slug=filters["topic"])
    if "open" in filters:
        profiles = profiles.filter(open_to_questions=True)
    page = Paginator(profiles, DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "people/directory.html",
        {"page_obj": page, "form": form, "querystring": query.urlencode()},
    )


@never_cache
@login_required
@require_GET
def personal_data(request):
    """個人データの管理: download everything held about oneself, or delete the account."""
    return _personal_data_page(request, DeleteAccountForm(user=request.user))


def _personal_data_page(request, form, status=200):
    return render(
        request,
        "people/personal_data.html",
        {"form": form, "can_delete": privacy.can_delete_self(request.user)},
        status=status,
    )


@never_cache
@login_required
@require_GET
@reauthentication_required
def export_personal_data(request):
    data = privacy.export_personal_data(request.user)
    privacy.log_export(request.user)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    filename = f"cio-academy-personal-data-{timezone.localdate():%Y%m%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache
@login_required
@require_http_methods(["POST"])
def delete_account(request):
    user = request.user
    if not privacy.can_delete_self(user):
        raise PermissionDenied
    # The password is checked here as on the sign-in form, so guessing it is throttled alike.
    if not ratelimit.consume(request, action="reauthenticate", user=user):
        return ratelimit.respond_429(request)
    form = DeleteAccountForm(request.POST, user=user)
    if not form.is_valid():
        return _personal_data_page(request, form, status=400)
    privacy.delete_account(user)
    logout(request)
    messages.success(
        request,
        _("Your account and personal data have been deleted. Thank you for taking part."),
    )
    return redirect("wagtail_serve", "")
