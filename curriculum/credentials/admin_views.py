"""Staff views in the Wagtail admin: the list of awards, a manual award (or renewal) with a
reason, and revocation with a reason. Each checks its own permission."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import awarding
from .models import Award, CredentialDefinition


def _require(request, permission):
    if not request.user.has_perm(permission):
        raise PermissionDenied


class ManualAwardForm(forms.Form):
    definition = forms.ModelChoiceField(
        label=gettext_lazy("Credential"), queryset=CredentialDefinition.objects.all()
    )
    email = forms.EmailField(label=gettext_lazy("Holder's email address"))
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=gettext_lazy("Recorded with the award and shown in the credential's evidence."),
    )

    def clean_email(self):
        email = self.cleaned_data["email"]
        user = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise ValidationError(_("No active account has this email address."))
        self.user = user
        return email


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for revocation"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=gettext_lazy("Verifiers are told the credential is revoked, not why."),
    )


def award_list(request):
    _require(request, "credentials.view_award")
    awards = Award.objects.select_related("definition", "user").order_by("-issued_at")
    definition = request.GET.get("credential", "")
    if definition.isdigit():
        awards = awards.filter(definition_id=int(definition))
    wanted = request.GET.get("status")
    now = timezone.now()
    if wanted == "valid":
        awards = awards.standing(now)
    elif wanted == "revoked":
        awards = awards.filter(revoked_at__isnull=False)
    elif wanted == "expired":
        awards = awards.filter(revoked_at__isnull=True, expires_at__lte=now)
    query = request.GET.get("q", "").strip()
    if query:
        awards = awards.filter(user__email__icontains=query)
    page = Paginator(awards, 50).get_page(request.GET.get("p"))
    return TemplateResponse(
        request,
        "credentials/admin/award_list.html",
        {
            "title": _("Awarded credentials"),
            "page_obj": page,
            "definitions": CredentialDefinition.objects.all(),
            "selected": {"credential": definition, "status": wanted or "", "q": query},
        },
    )


def award_create(request):
    _require(request, "credentials.add_award")
    form = ManualAwardForm(
        request.POST or None, initial={"definition": request.GET.get("credential")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            award = awarding.award_manually(
                form.user,
                form.cleaned_data["definition"],
                awarded_by=request.user,
                reason=form.cleaned_data["reason"],
            )
        except awarding.AlreadyHeld:
            form.add_error(None, _("This person already holds this credential and it is valid."))
        else:
            messages.success(
                request,
                _("“%(credential)s” was awarded to %(email)s.")
                % {"credential": award.definition.name, "email": award.user.email},
            )
            return redirect("credential_awards")
    return TemplateResponse(
        request,
        "credentials/admin/award_form.html",
        {"title": _("Award a credential"), "form": form},
    )


def award_revoke(request, award_id):
    _require(request, "credentials.revoke_award")
    award = get_object_or_404(Award.objects.select_related("definition", "user"), pk=award_id)
    form = RevokeForm(request.POST or None)
    if award.is_revoked:
        messages.info(request, _("This award is already revoked."))
        return redirect("credential_awards")
    if request.method == "POST" and form.is_valid():
        awarding.revoke(award, by=request.user, reason=form.cleaned_data["reason"])
        messages.success(
            request,
            _("The award of “%(credential)s” to %(email)s was revoked.")
            % {"credential": award.definition.name, "email": award.user.email},
        )
        return redirect("credential_awards")
    return TemplateResponse(
        request,
        "credentials/admin/award_revoke.html",
        {"title": _("Revoke a credential"), "form": form, "award": award},
    )
