"""The two roles the career path is drawn between, saved on the learner's profile."""

from django import forms
from django.utils.translation import gettext_lazy as _

from curriculum.models import Role
from people.models import Profile


class RoleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} {obj.name}"


class CareerRolesForm(forms.ModelForm):
    """Only the two roles: the rest of the profile is edited on the profile page. An id that is
    not a role is refused with Django's translated "Select a valid choice" message."""

    current_role = RoleChoiceField(
        queryset=Role.objects.order_by("rank", "code"),
        required=False,
        label=_("Current role"),
        empty_label=_("Not chosen"),
    )
    target_role = RoleChoiceField(
        queryset=Role.objects.order_by("rank", "code"),
        required=False,
        label=_("Role you are working towards"),
        empty_label=_("Not chosen"),
        help_text=_("The skill gap below is drawn for this role."),
    )

    class Meta:
        model = Profile
        fields = ["current_role", "target_role"]
