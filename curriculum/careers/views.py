"""The career path page: the learner chooses their current and target roles, and sees, per
competency area, the level the target role needs, the level their credentials prove, and the
plan that closes each gap."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from curriculum.models import Role
from people.models import Profile

from . import paths
from .forms import CareerRolesForm


def _profile(user) -> Profile:
    profile = (
        Profile.objects.select_related("current_role", "target_role", "municipality")
        .filter(user=user)
        .first()
    )
    if profile is None:
        # The sign-up signal creates one; an account made another way may lack it.
        profile, _created = Profile.objects.get_or_create(
            user=user, defaults={"display_name": user.get_full_name() or ""}
        )
    return profile


@login_required
@require_http_methods(["GET", "POST"])
def career_path(request):
    profile = _profile(request.user)
    if request.method == "POST":
        form = CareerRolesForm(request.POST, instance=profile)
        if form.is_valid():
            form.save()
            messages.success(request, _("Your roles have been saved."))
            return redirect("career:path")
        # The plan stays the one for the roles saved, not the ones refused.
        profile = _profile(request.user)
    else:
        form = CareerRolesForm(instance=profile)
    roles = list(Role.objects.order_by("rank", "code"))
    plan = paths.skill_gap(request.user, profile=profile, roles=roles)
    return render(
        request,
        "careers/path.html",
        {
            "form": form,
            "profile": profile,
            "plan": plan,
            "chart": paths.bar_chart(plan.rows) if plan else None,
        },
    )
