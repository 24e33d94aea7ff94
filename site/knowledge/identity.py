"""Who wrote a post, as one reader may see it. An anonymous question hides its asker from every
other member — on the page, in revisions, in feeds, JSON and notifications — and whatever the
asker writes later in the same thread is shown as "the asker", never by name. The asker sees
their own posts as theirs; moderators see who it is, marked as visible to moderators only."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from people.names import reserve_labels

from .models import Revision


@dataclass(frozen=True)
class Byline:
    name: str
    url: str = ""
    municipality: str = ""
    anonymous: bool = False
    is_you: bool = False
    moderator_sees: str = ""  # the real name, filled only for moderators
    role: str = ""  # "Moderator" or "Site staff": a badge beside the name, never part of it

    def __str__(self):
        return self.name


ANONYMOUS = gettext_lazy("Anonymous")
ASKER = gettext_lazy("The asker (anonymous)")
MODERATOR = gettext_lazy("Moderator")
SITE_STAFF = gettext_lazy("Site staff")

# No member may be named after these, nor, holding no role, carry a role in their name.
reserve_labels(stand_ins=(ANONYMOUS, ASKER), roles=(MODERATOR, SITE_STAFF))


def roles_of(user_ids) -> dict[int, str]:
    """The role badge of each of these members who holds one, in one query: site staff
    (staff and administrators) or moderator. Display names cannot imitate them: the badge is
    drawn outside the name, and names may not use these words (people/names.py)."""
    ids = {pk for pk in user_ids if pk}
    if not ids:
        return {}
    rows = (
        get_user_model()
        .objects.filter(pk__in=ids, is_active=True)
        .filter(
            Q(is_staff=True)
            | Q(is_superuser=True)
            | Q(groups__permissions__codename="moderate_posts")
            | Q(user_permissions__codename="moderate_posts")
        )
        .values_list("pk", "is_staff", "is_superuser")
        .distinct()
    )
    return {
        pk: str(SITE_STAFF if staff or superuser else MODERATOR) for pk, staff, superuser in rows
    }


def is_anonymous_asker(question, user_id) -> bool:
    return bool(question.is_anonymous and user_id and question.author_id == user_id)


def _public_name(user) -> Byline:
    if user is None:
        return Byline(name=_("Former member"))
    profile = getattr(user, "profile", None)
    name = (profile.display_name if profile else "") or _("Member")
    url = ""
    municipality = ""
    if profile is not None and profile.is_public:
        url = profile.get_absolute_url()
        municipality = str(profile.municipality) if profile.municipality_id else ""
    return Byline(name=name, url=url, municipality=municipality)


def _is_the_question(post, question) -> bool:
    """The question itself or one of its revisions (not an answer in its thread)."""
    if isinstance(post, Revision):
        return post.question_id == question.pk
    return post is question


def byline(post, question, viewer, *, is_moderator=False, source=None, roles=None) -> Byline:
    """How `viewer` sees the author of `post` (a question, answer, comment or revision) in the
    thread of `question`. `roles` (from `roles_of`) badges staff and moderators by name; an
    anonymous asker never gets one."""
    author_id = post.author_id
    if author_id is None and source is not None:
        return Byline(name=source.name)
    if author_id is None and question.is_anonymous and _is_the_question(post, question):
        # The asker has since deleted their account: the question stays anonymous.
        return Byline(name=str(ANONYMOUS), anonymous=True)
    if is_anonymous_asker(question, author_id):
        you = getattr(viewer, "pk", None) == author_id
        label = str(ANONYMOUS) if post is question else str(ASKER)
        return Byline(
            name=_("You (shown to others as anonymous)") if you else label,
            anonymous=True,
            is_you=you,
            moderator_sees=_public_name(post.author).name if is_moderator and not you else "",
        )
    shown = _public_name(post.author)
    role = (roles or {}).get(author_id, "")
    you = getattr(viewer, "pk", None) == author_id and author_id is not None
    if role or you:
        return Byline(**{**shown.__dict__, "is_you": you, "role": role})
    return shown


def public_author_name(question) -> str:
    """The asker's name for outputs everyone reads alike (feeds, JSON): never an anonymous one."""
    if question.is_anonymous:
        return str(ANONYMOUS)
    if question.author_id is None:
        return question.source.name if question.source_id else str(_("Former member"))
    return _public_name(question.author).name


def name_for_notification(note) -> str:
    # Notifications about an anonymous asker's actions are stored without an actor.
    if note.actor_id is None:
        return str(_("Someone"))
    return _public_name(note.actor).name
