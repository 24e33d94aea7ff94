"""The talent pool has no admin screens of its own: recruiters work on the site (/talent/). What
the admin gives is the permission, in Settings → Groups, and the organisation each recruiter
answers for, through the organisation reporter snippet (credentials.OrganisationReporter)."""

from django.contrib.auth.models import Permission
from wagtail import hooks


@hooks.register("register_permissions")
def recruiting_permission():
    """Lets administrators give the permission to other groups in Settings → Groups."""
    return Permission.objects.filter(content_type__app_label="talent", codename="recruit_talent")
