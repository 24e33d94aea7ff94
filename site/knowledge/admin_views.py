"""The moderators' desk in the Wagtail admin: posts awaiting review, open flags and hidden posts
on one page, the members suspended from posting, and the actions taken on them. Every view checks
`knowledge.moderate_posts` itself; every action goes through `posting`, which checks it again and
writes the audit log."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import CharField, F, OuterRef, Subquery
from django.db.models.functions import Cast
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from wagtail.admin import messages
from wagtail.models import ModelLogEntry

from core.markdown import render_markdown
from core.redirects import redirect_back

from . import identity, posting
from .models import Answer, Comment, Flag, FlagReason, Member, Question, Visibility

PERMISSION = "knowledge.moderate_posts"
# Posts awaiting review shown at once, per kind (questions, answers, comments), oldest first.
PENDING_LIMIT = 100
# Open flags read at once; their posts are shown one row each.
OPEN_FLAGS_LIMIT = 500
HIDDEN_LIMIT = 50
# The excerpt: this much of the source is rendered, then cut to this many characters of text.
EXCERPT_SOURCE_CHARS = 4000
EXCERPT_CHARS = 600

MODELS = {"question": Question, "answer": Answer, "comment": Comment}
KIND_LABELS = {
    "question": gettext_lazy("Question"),
    "answer": gettext_lazy("Answer"),
    "comment": gettext_lazy("Comment"),
}
# What each kind needs for its thread, its author's name and standing, in the same query.
RELATED = {
    "question": ["author__profile", "author__qa_member"],
    "answer": ["author__profile", "author__qa_member", "question"],
    "comment": ["author__profile", "author__qa_member", "question", "answer__question"],
}


# dismiss_flag logs against the flag's target, named after its thread: read them with the flag.
FLAG_TARGET = ["question", "answer__question", "comment"]


def _require_moderator(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied


def _kind_of(post) -> str:
    return {Question: "question", Answer: "answer", Comment: "comment"}[type(post)]


def _thread(post) -> Question:
    if isinstance(post, Question):
        return post
    if isinstance(post, Answer):
        return post.question
    return post.thread


def excerpt(text: str) -> SafeString:
    """The post's Markdown rendered and sanitised, then cut to a readable length: the cut keeps
    the HTML well formed and its text escaped."""
    html = render_markdown((text or "")[:EXCERPT_SOURCE_CHARS])
    return mark_safe(Truncator(html).chars(EXCERPT_CHARS, html=True))


# --- what the templates show ------------------------------------------------------------------


@dataclass
class Person:
    """A member as moderators see them: everything, anonymous askers included."""

    user: object
    name: str
    email: str
    display_name: str = ""
    anonymous_note: str = ""
    suspended_until: datetime | None = None

    @classmethod
    def of(cls, user, *, anonymous_note=""):
        if user is None:
            return None
        profile = getattr(user, "profile", None)
        display_name = (profile.display_name if profile else "") or ""
        real_name = user.get_full_name()
        standing = getattr(user, "qa_member", None)
        until = standing.suspended_until if standing else None
        return cls(
            user=user,
            name=real_name or display_name or user.email,
            email=user.email,
            display_name=display_name if real_name and display_name != real_name else "",
            anonymous_note=anonymous_note,
            suspended_until=until if until and until > timezone.now() else None,
        )


@dataclass
class Item:
    """One post in the queue, with what the moderator needs to decide."""

    post: Question | Answer | Comment
    kind: str
    thread: Question
    author: Person | None
    excerpt: SafeString
    flags: list = field(default_factory=list)
    hidden_at: datetime | None = None
    hidden_by: Person | None = None
    hide_reason: str = ""

    @property
    def kind_label(self):
        return KIND_LABELS[self.kind]

    @property
    def dom_id(self) -> str:
        return f"{self.kind}-{self.post.pk}"

    @property
    def url(self) -> str:
        return self.post.get_absolute_url()

    @property
    def thread_title(self) -> str:
        return self.thread.title

    @property
    def reasons(self) -> list[tuple[str, int]]:
        counts = Counter(flag.reason for flag in self.flags)
        labels = dict(FlagReason.choices)
        return [(str(labels.get(reason, reason)), n) for reason, n in counts.most_common()]


def _anonymous_note(post, thread) -> str:
    if not identity.is_anonymous_asker(thread, post.author_id):
        return ""
    if post is thread:
        return _("asked anonymously")
    return _("the anonymous asker of this thread")


def _item(post, **extra) -> Item:
    thread = _thread(post)
    return Item(
        post=post,
        kind=_kind_of(post),
        thread=thread,
        author=Person.of(post.author, anonymous_note=_anonymous_note(post, thread)),
        excerpt=excerpt(post.body),
        **extra,
    )


# --- the queue -------------------------------------------------------------------------------


def _pending():
    """Posts awaiting review, oldest first; a few queries however many there are."""
    items, more = [], False
    for kind, model in MODELS.items():
        posts = list(
            model.objects.filter(visibility=Visibility.PENDING)
            .select_related(*RELATED[kind])
            .order_by("created_at", "pk")[: PENDING_LIMIT + 1]
        )
        more = more or len(posts) > PENDING_LIMIT
        items.extend(_item(post) for post in posts[:PENDING_LIMIT])
    items.sort(key=lambda item: (item.post.created_at, item.kind, item.post.pk))
    return items, more


def _open_flags():
    """Open flags grouped by the post they are about, the longest-waiting post first."""
    related = ["reporter__profile", "reporter__qa_member"]
    for kind in MODELS:
        related.append(kind)
        related.extend(f"{kind}__{path}" for path in RELATED[kind])
    flags = list(
        Flag.objects.filter(status=Flag.Status.OPEN)
        .select_related(*related)
        .order_by("created_at", "pk")[: OPEN_FLAGS_LIMIT + 1]
    )
    more = len(flags) > OPEN_FLAGS_LIMIT
    groups: dict[tuple[str, int], Item] = {}
    for flag in flags[:OPEN_FLAGS_LIMIT]:
        target = flag.target
        key = (_kind_of(target), target.pk)
        if key not in groups:
            groups[key] = _item(target)
        flag.reporter_person = Person.of(flag.reporter)
        groups[key].flags.append(flag)
    return list(groups.values()), more


def _last_log(model, action, column):
    """A subquery: `column` of the latest log entry with `action` on the outer row."""
    return Subquery(
        ModelLogEntry.objects.filter(
            content_type__app_label=model._meta.app_label,
            content_type__model=model._meta.model_name,
            object_id=Cast(OuterRef("pk"), output_field=CharField()),
            action=action,
        )
        .order_by("-timestamp", "-pk")
        .values(column)[:1]
    )


def _hidden():
    """The most recently hidden posts, with who hid them, when and why (from the audit log)."""
    posts = []
    for kind, model in MODELS.items():
        posts.extend(
            model.objects.filter(visibility=Visibility.HIDDEN)
            .select_related(*RELATED[kind])
            .annotate(
                hidden_at=_last_log(model, "knowledge.hide", "timestamp"),
                hide_log_id=_last_log(model, "knowledge.hide", "pk"),
            )
            .order_by(F("hidden_at").desc(nulls_last=True), "-created_at", "-pk")[:HIDDEN_LIMIT]
        )
    posts.sort(key=lambda post: post.hidden_at or post.created_at, reverse=True)
    posts = posts[:HIDDEN_LIMIT]
    entries = ModelLogEntry.objects.filter(
        pk__in=[post.hide_log_id for post in posts if post.hide_log_id]
    ).select_related("user__profile", "user__qa_member")
    entries = {entry.pk: entry for entry in entries} if posts else {}
    items = []
    for post in posts:
        entry = entries.get(post.hide_log_id)
        items.append(
            _item(
                post,
                hidden_at=post.hidden_at,
                hidden_by=Person.of(entry.user) if entry else None,
                hide_reason=(entry.data or {}).get("reason", "") if entry else "",
            )
        )
    return items


def queue(request):
    _require_moderator(request)
    pending, more_pending = _pending()
    flagged, more_flags = _open_flags()
    hidden = _hidden()
    return TemplateResponse(
        request,
        "knowledge/admin/queue.html",
        {
            "title": _("Q&A moderation"),
            "pending": pending,
            "more_pending": more_pending,
            "pending_limit": PENDING_LIMIT,
            "flagged": flagged,
            "more_flags": more_flags,
            "hidden": hidden,
            "hidden_limit": HIDDEN_LIMIT,
            "hide_reason_max": HideForm.base_fields["reason"].max_length,
            "next": request.get_full_path(),
        },
    )


# --- actions on posts ------------------------------------------------------------------------


class HideForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300, required=False)


class LockForm(forms.Form):
    locked = forms.TypedChoiceField(
        choices=[("1", "1"), ("0", "0")], coerce=lambda value: value == "1"
    )


def _back(request, default="knowledge_moderation"):
    """Where the form came from, if it is ours; the queue otherwise."""
    return redirect_back(request, default)


def _post_or_404(kind, pk, *, lock=False):
    model = MODELS.get(kind)
    if model is None:
        raise Http404
    queryset = model.objects.select_related(*RELATED[kind])
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    return get_object_or_404(queryset, pk=pk)


def _describe(post) -> str:
    kind = _kind_of(post)
    return _("%(kind)s in “%(title)s”") % {
        "kind": KIND_LABELS[kind],
        "title": Truncator(_thread(post).title).chars(80),
    }


@require_POST
def approve(request, kind, pk):
    _require_moderator(request)
    with transaction.atomic():
        post = _post_or_404(kind, pk, lock=True)
        if post.visibility != Visibility.PENDING:
            messages.info(request, _("This post is no longer awaiting review."))
            return _back(request)
        posting.approve(request.user, post)
    messages.success(request, _("Approved and published: %(post)s.") % {"post": _describe(post)})
    return _back(request)


@require_POST
def hide(request, kind, pk):
    _require_moderator(request)
    form = HideForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            _("The post was not hidden: the reason can be at most %(max)s characters.")
            % {"max": HideForm.base_fields["reason"].max_length},
        )
        return _back(request)
    with transaction.atomic():
        post = _post_or_404(kind, pk, lock=True)
        has_open_flags = Flag.objects.filter(
            status=Flag.Status.OPEN, **{_kind_of(post): post}
        ).exists()
        if post.visibility == Visibility.HIDDEN and not has_open_flags:
            messages.info(request, _("This post is already hidden."))
            return _back(request)
        posting.hide(request.user, post, reason=form.cleaned_data["reason"])
    messages.success(request, _("Hidden: %(post)s.") % {"post": _describe(post)})
    return _back(request)


@require_POST
def restore(request, kind, pk):
    _require_moderator(request)
    with transaction.atomic():
        post = _post_or_404(kind, pk, lock=True)
        if post.visibility != Visibility.HIDDEN:
            messages.info(request, _("This post is not hidden."))
            return _back(request)
        posting.restore(request.user, post)
    messages.success(request, _("Restored and public again: %(post)s.") % {"post": _describe(post)})
    return _back(request)


@require_POST
def dismiss_flags(request, kind, pk):
    """Dismisses every open flag on the post: the post stays as it is."""
    _require_moderator(request)
    post = _post_or_404(kind, pk)
    with transaction.atomic():
        flags = list(
            Flag.objects.select_for_update(of=("self",))
            .filter(status=Flag.Status.OPEN, **{kind: post})
            .select_related(*FLAG_TARGET)
        )
        for flag in flags:
            posting.dismiss_flag(request.user, flag)
    if not flags:
        messages.info(request, _("This post has no open flags."))
    else:
        messages.success(
            request,
            _("Flags dismissed (%(count)s): %(post)s.")
            % {"count": len(flags), "post": _describe(post)},
        )
    return _back(request)


@require_POST
def dismiss_flag(request, flag_id):
    _require_moderator(request)
    with transaction.atomic():
        flag = get_object_or_404(
            Flag.objects.select_for_update(of=("self",)).select_related(*FLAG_TARGET),
            pk=flag_id,
        )
        if flag.status != Flag.Status.OPEN:
            messages.info(request, _("This flag has already been handled."))
            return _back(request)
        posting.dismiss_flag(request.user, flag)
    messages.success(request, _("Flag dismissed: %(post)s.") % {"post": _describe(flag.target)})
    return _back(request)


@require_POST
def lock(request, pk):
    _require_moderator(request)
    form = LockForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether to lock or unlock the question."))
        return _back(request)
    locked = form.cleaned_data["locked"]
    with transaction.atomic():
        question = get_object_or_404(Question.objects.select_for_update(), pk=pk)
        if question.is_locked == locked:
            messages.info(
                request,
                _("This question is already locked.")
                if locked
                else _("This question is not locked."),
            )
            return _back(request)
        posting.set_locked(request.user, question, locked)
    title = Truncator(question.title).chars(80)
    messages.success(
        request,
        (
            _("Locked: “%(title)s” takes no new answers, comments or votes.")
            if locked
            else _("Unlocked: “%(title)s” is open again.")
        )
        % {"title": title},
    )
    return _back(request)


# --- suspensions ----------------------------------------------------------------------------


class SuspendForm(forms.Form):
    days = forms.IntegerField(
        label=gettext_lazy("Days"),
        min_value=1,
        max_value=365,
        initial=7,
        help_text=gettext_lazy("From 1 to 365 days, starting now."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=Member._meta.get_field("suspension_reason").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Recorded with the suspension and in the moderation history."),
    )


class FindMemberForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Email address"))


def _member_or_404(user_id):
    return get_object_or_404(
        get_user_model().objects.select_related("profile", "qa_member"), pk=user_id
    )


def suspensions(request):
    """The members suspended now, and a way to find one to suspend by their email address."""
    _require_moderator(request)
    find = FindMemberForm(request.GET or None)
    if find.is_bound and find.is_valid():
        user = (
            get_user_model()
            .objects.filter(email__iexact=find.cleaned_data["email"])
            .order_by("pk")
            .first()
        )
        if user is not None:
            return redirect("knowledge_moderation_suspend", user.pk)
        find.add_error("email", _("No account has this email address."))
    standings = (
        Member.objects.filter(suspended_until__gt=timezone.now())
        .select_related("user__profile")
        .annotate(suspended_by_id=_last_log(Member, "knowledge.suspend", "user_id"))
        .order_by("suspended_until", "pk")
    )
    standings = list(standings)
    by = (
        {
            user.pk: user
            for user in get_user_model()
            .objects.filter(pk__in={s.suspended_by_id for s in standings if s.suspended_by_id})
            .select_related("profile", "qa_member")
        }
        if standings
        else {}
    )
    rows = [
        {
            "standing": standing,
            "person": Person.of(standing.user),
            "by": Person.of(by.get(standing.suspended_by_id)),
        }
        for standing in standings
    ]
    return TemplateResponse(
        request,
        "knowledge/admin/suspensions.html",
        {
            "title": _("Suspended members"),
            "rows": rows,
            "find": find,
            "next": request.get_full_path(),
        },
    )


def suspend(request, user_id):
    _require_moderator(request)
    user = _member_or_404(user_id)
    form = SuspendForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            try:
                standing = posting.suspend(
                    request.user,
                    user,
                    days=form.cleaned_data["days"],
                    reason=form.cleaned_data["reason"].strip(),
                )
            except PermissionDenied as refusal:
                messages.error(request, str(refusal) or _("This member cannot be suspended."))
            else:
                messages.success(
                    request,
                    _("%(email)s is suspended from posting until %(date)s.")
                    % {
                        "email": user.email,
                        "date": timezone.localtime(standing.suspended_until).strftime(
                            "%Y-%m-%d %H:%M"
                        ),
                    },
                )
                return _back(request, "knowledge_moderation_suspensions")
        else:
            messages.error(request, _("The member was not suspended: please correct the form."))
    return TemplateResponse(
        request,
        "knowledge/admin/suspend.html",
        {
            "title": _("Suspend a member"),
            "form": form,
            "person": Person.of(user),
            "next": request.POST.get("next") or request.GET.get("next", ""),
        },
    )


@require_POST
def lift_suspension(request, user_id):
    _require_moderator(request)
    user = _member_or_404(user_id)
    if posting.suspension(user) is None:
        messages.info(request, _("%(email)s is not suspended.") % {"email": user.email})
    else:
        posting.lift_suspension(request.user, user)
        messages.success(request, _("%(email)s may post again.") % {"email": user.email})
    return _back(request, "knowledge_moderation_suspensions")
