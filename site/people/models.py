from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.translation import in_language

from .codes import validate_local_government_code
from .mfa import privileges_in_force


class User(AbstractUser):
    """People sign in with their e-mail address; the username is generated and never shown."""

    email = models.EmailField(_("email address"), unique=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"


class Prefecture(models.Model):
    code = models.CharField(_("code"), max_length=2, unique=True, help_text=_("01 to 47"))
    name = models.CharField(_("name"), max_length=10, unique=True)
    kana = models.CharField(_("reading"), max_length=20)
    name_en = models.CharField(_("name (English)"), max_length=20)

    class Meta:
        ordering = ["code"]
        verbose_name = _("prefecture")
        verbose_name_plural = _("prefectures")

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        return in_language(self.name, self.name_en)


class Municipality(models.Model):
    """A local public body: a prefecture, a city, town or village, a Tokyo special ward, or a ward
    of a designated city. Loaded from the national list of local government codes."""

    class Kind(models.TextChoices):
        PREFECTURE = "prefecture", _("Prefecture")
        DESIGNATED_CITY = "designated_city", _("Designated city")
        CITY = "city", _("City")
        TOWN = "town", _("Town")
        VILLAGE = "village", _("Village")
        SPECIAL_WARD = "special_ward", _("Special ward")
        WARD = "ward", _("Ward of a designated city")

    code = models.CharField(
        _("local government code"),
        max_length=6,
        unique=True,
        validators=[validate_local_government_code],
    )
    name = models.CharField(_("name"), max_length=40)
    kana = models.CharField(_("reading"), max_length=60)
    prefecture = models.ForeignKey(
        Prefecture,
        verbose_name=_("prefecture"),
        on_delete=models.PROTECT,
        related_name="municipalities",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("designated city"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="wards",
        help_text=_("For a ward, the designated city it belongs to."),
    )
    website = models.URLField(_("website"), blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        indexes = [models.Index(fields=["prefecture", "kind"])]

    def __str__(self):
        if self.kind == self.Kind.PREFECTURE:
            return self.name
        return f"{self.prefecture.name}{self.name}"


class ProfileQuerySet(models.QuerySet):
    def public(self):
        return self.filter(is_public=True, user__is_active=True)

    def visible_to(self, user):
        if user.is_authenticated and user.is_staff and privileges_in_force(user):
            return self.filter(user__is_active=True)
        if user.is_authenticated:
            return self.filter(models.Q(is_public=True) | models.Q(user=user), user__is_active=True)
        return self.public()


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(
        _("display name"),
        max_length=60,
        help_text=_("How other members see you, e.g. 山田 太郎 or a nickname."),
    )
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("municipality"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="profiles",
    )
    department = models.CharField(_("department"), max_length=100, blank=True)
    current_role = models.ForeignKey(
        "curriculum.Role",
        verbose_name=_("current role"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    target_role = models.ForeignKey(
        "curriculum.Role",
        verbose_name=_("role I am working towards"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Courses for this role are recommended on your learning page."),
    )
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    bio = models.TextField(_("about me"), max_length=2000, blank=True)
    expertise = models.ManyToManyField(
        "core.Topic",
        verbose_name=_("areas of expertise"),
        blank=True,
        related_name="experts",
    )
    is_public = models.BooleanField(
        _("public profile"),
        default=False,
        help_text=_("Show your profile in the peer directory to signed-in members and visitors."),
    )
    open_to_questions = models.BooleanField(
        _("open to questions from peers"),
        default=False,
        help_text=_(
            "Peers may ask you about the topics you know, and questions may be routed to you."
        ),
    )
    is_outside_expert = models.BooleanField(
        _("outside expert"),
        default=False,
        help_text=_(
            "Not on a local government's staff: a private-sector professional, a retiree, an "
            "adviser or a researcher."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProfileQuerySet.as_manager()

    class Meta:
        ordering = ["display_name"]
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")
        indexes = [
            models.Index(fields=["is_public", "municipality"]),
            # The peer directory: public profiles by name, a page at a time.
            models.Index(fields=["is_public", "display_name"], name="profile_directory"),
        ]

    def __str__(self):
        return self.display_name or self.user.email

    def get_absolute_url(self):
        return reverse("people:profile", args=[self.pk])

    def clean(self):
        super().clean()
        # No name that passes for a site label, a role or another member (people/names.py).
        # .names imports this module's Profile: a top-level import would be circular.
        from .names import validate_display_name

        self.display_name = (self.display_name or "").strip()
        try:
            validate_display_name(self.display_name, user_id=self.user_id)
        except ValidationError as error:
            raise ValidationError({"display_name": error.messages}) from None
