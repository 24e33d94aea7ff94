from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.uploads import check_upload

from .models import Award

MAX_UPLOAD = 1_000_000


class SharingForm(forms.ModelForm):
    class Meta:
        model = Award
        fields = ["is_public", "is_indexable"]

    def clean(self):
        cleaned = super().clean()
        # Search engines can only list what is public.
        if not cleaned.get("is_public"):
            cleaned["is_indexable"] = False
        return cleaned


class VerifyForm(forms.Form):
    text = forms.CharField(
        label=_("Credential (JSON) or JWT"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false", "autocomplete": "off"}),
        max_length=MAX_UPLOAD,
    )
    file = forms.FileField(
        label=_("Or a file (.json or .jwt)"),
        required=False,
        help_text=_("Up to 1 MB."),
    )

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is None:
            return None
        if upload.size > MAX_UPLOAD:
            raise ValidationError(_("The file is larger than 1 MB."))
        # Text by its content, whatever the file is called: not an image, a PDF or a web page.
        checked = check_upload(
            upload, allowed={"json", "jwt", "txt"}, max_bytes=MAX_UPLOAD, match_name=False
        )
        try:
            return checked.file.read().decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ValidationError(_("The file is not UTF-8 text.")) from error

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not (cleaned.get("text") or "").strip() and not cleaned.get("file"):
            raise ValidationError(_("Paste a credential, or choose a file."))
        return cleaned

    def credential_text(self) -> str:
        return self.cleaned_data.get("file") or self.cleaned_data.get("text") or ""
