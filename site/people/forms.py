from itertools import groupby

from allauth.account.adapter import get_adapter
from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.translation import gettext_lazy as _

from core.forms import ModelMultipleChoiceField
from core.models import Topic

from .models import Municipality, Profile
from .names import validate_display_name


class MunicipalitySelect(forms.Select):
    """A plain <select> grouped by prefecture: usable without JavaScript (type-ahead, keyboard);
    static/js/municipality-filter.js adds a box that narrows it by name or reading."""

    def __init__(self, attrs=None):
        super().__init__({"data-municipality-filter": "", **(attrs or {})})


class PrefectureGroupedIterator(ModelChoiceIterator):
    """Yields one option group per prefecture, lazily, from a queryset ordered by code."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for prefecture, bodies in groupby(self.queryset, key=lambda m: m.prefecture):
            yield (prefecture.display_name, [self.choice(m) for m in bodies])

    def choice(self, obj):
        return (obj.code, self.field.label_from_instance(obj))


class MunicipalityChoiceField(forms.ModelChoiceField):
    widget = MunicipalitySelect
    iterator = PrefectureGroupedIterator

    def __init__(self, **kwargs):
        queryset = Municipality.objects.select_related("prefecture").order_by("code")
        kwargs.setdefault("label", _("Municipality"))
        kwargs.setdefault(
            "help_text",
            _("The local government you work for. Type its name or reading to narrow the list."),
        )
        kwargs.setdefault("empty_label", _("Choose your municipality"))
        super().__init__(queryset=queryset, to_field_name="code", **kwargs)

    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.kana}）"

    def prepare_value(self, value):
        """Options carry the local government code, but a model form's initial value is the
        foreign key's primary key: translate it, or the saved municipality is never selected and
        an untouched form clears it (or, where the field is required, fails)."""
        if isinstance(value, int) and not isinstance(value, bool):
            return (
                Municipality.objects.filter(pk=value).values_list("code", flat=True).first() or ""
            )
        return super().prepare_value(value)


class SignupForm(forms.Form):
    """Extra fields on allauth's sign-up form (ACCOUNT_SIGNUP_FORM_CLASS). Local government
    staff name their municipality; outside experts (private sector, retirees, advisers,
    researchers) may leave it empty and are marked as such on their profile."""

    STAFF = "staff"
    OUTSIDE_EXPERT = "outside_expert"

    display_name = forms.CharField(
        label=_("Display name"),
        max_length=60,
        help_text=_("How other members see you, e.g. 山田 太郎 or a nickname."),
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
        validators=[validate_display_name],
    )
    member_type = forms.ChoiceField(
        label=_("I am joining as"),
        choices=[
            (STAFF, _("I work for a local government")),
            (
                OUTSIDE_EXPERT,
                _("I am an outside expert (private sector, retired, adviser, researcher)"),
            ),
        ],
        initial=STAFF,
        # Left out (an older form, a script): local government staff, as before.
        required=False,
        widget=forms.RadioSelect,
    )
    municipality = MunicipalityChoiceField(
        required=False,
        help_text=_(
            "The local government you work for. Type its name or reading to narrow the list. "
            "Outside experts may leave it empty."
        ),
    )
    job_title = forms.CharField(label=_("Job title"), max_length=100, required=False)

    def clean_member_type(self):
        return self.cleaned_data.get("member_type") or self.STAFF

    def clean(self):
        cleaned_data = super().clean()
        staff = cleaned_data.get("member_type", self.STAFF) != self.OUTSIDE_EXPERT
        if staff and not cleaned_data.get("municipality") and "municipality" not in self.errors:
            self.add_error(
                "municipality",
                forms.ValidationError(
                    _("Choose the local government you work for."), code="required"
                ),
            )
        return cleaned_data

    def signup(self, request, user):
        profile = user.profile
        profile.display_name = self.cleaned_data["display_name"]
        profile.municipality = self.cleaned_data["municipality"]
        profile.job_title = self.cleaned_data["job_title"]
        profile.is_outside_expert = self.cleaned_data["member_type"] == self.OUTSIDE_EXPERT
        profile.save()


class ProfileForm(forms.ModelForm):
    municipality = MunicipalityChoiceField(required=False)
    expertise = ModelMultipleChoiceField(
        label=_("Areas of expertise"),
        queryset=Topic.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Topics you have worked on and could help peers with."),
    )

    class Meta:
        model = Profile
        fields = [
            "display_name",
            "municipality",
            "department",
            "job_title",
            "current_role",
            "target_role",
            "bio",
            "expertise",
            "is_public",
            "open_to_questions",
        ]
        widgets = {"bio": forms.Textarea(attrs={"rows": 5})}


class DirectoryFilterForm(forms.Form):
    """The peer directory's filters. Choices come from the rows the page shows anyway, so an
    odd value in the query string is dropped without reaching the database."""

    prefecture = forms.ChoiceField(label=_("Prefecture"), required=False)
    topic = forms.ChoiceField(label=_("Area of expertise"), required=False)
    open = forms.BooleanField(label=_("Open to questions only"), required=False)

    def __init__(self, data, *, prefectures, topics):
        super().__init__(data, label_suffix="")
        self.fields["prefecture"].choices = [("", _("All prefectures"))] + [
            (p.code, p.display_name) for p in prefectures
        ]
        self.fields["topic"].choices = [("", _("All topics"))] + [(t.slug, t.name) for t in topics]

    def filters(self) -> dict:
        """The valid filters only: an invalid one is ignored rather than failing the page."""
        self.is_valid()
        return {
            name: self.cleaned_data[name]
            for name in self.fields
            if name not in self.errors and self.cleaned_data.get(name)
        }


class DeleteAccountForm(forms.Form):
    """The password (checked by allauth, so failures count towards the sign-in lockout) and the
    member's e-mail address typed out, so that nobody deletes an account by a slip. (allauth's
    ReauthenticateForm cannot be subclassed here: allauth imports this module for the sign-up
    form.)"""

    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirmation = forms.CharField(
        label=_("Type your e-mail address to confirm"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not get_adapter().reauthenticate(self.user, password):
            raise get_adapter().validation_error("incorrect_password")
        return password

    def clean_confirmation(self):
        typed = self.cleaned_data["confirmation"].strip()
        if typed.casefold() != self.user.email.casefold():
            raise forms.ValidationError(
                _("This is not your account's e-mail address. Type it exactly as you sign in.")
            )
        return typed
