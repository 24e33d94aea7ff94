"""The knowledge base on the site: lists, the question page, asking with similar questions shown
as one types, answering, comments, votes, accepting, revisions, closing, flags, subscriptions and
the inbox. Every rule is checked in `posting`; these views only turn its answers into pages."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from casestudies.models import CaseStudyPage
from core import caching, idempotency
from core.markdown import render_preview
from core.models import Topic
from core.redirects import redirect_back
from core.slugs import is_slug
from people.mfa import acting_for_others

from . import diffs, identity, notifications, posting, schema, threads
from .forms import (
    AnswerForm,
    CloseForm,
    CommentForm,
    EditAnswerForm,
    EditQuestionForm,
    FlagForm,
    NotificationSettingsForm,
    QuestionForm,
)
from .models import Answer, Comment, Notification, Question, Subscription, Visibility
from .similar import similar_to

PER_PAGE = 20
TABS = {
    "newest": ("-created_at", "-pk"),
    "active": ("-last_activity_at", "-pk"),
    "unanswered": ("-created_at", "-pk"),
    "top": ("-score", "-created_at", "-pk"),
}
PERIODS = {"week": 7, "month": 30, "all": None}
AUTHOR_RELATED = ("author__profile__municipality__prefecture",)


def _page(paginator, number):
    try:
        return paginator.page(number)
    except PageNotAnInteger:
        return paginator.page(1)
    except EmptyPage:
        return paginator.page(paginator.num_pages)


def question_list(request):
    tab = request.GET.get("tab", "newest")
    if tab not in TABS:
        tab = "newest"
    period = request.GET.get("period", "all")
    if period not in PERIODS:
        period = "all"
    questions = Question.objects.published()
    topic = None
    topic_slug = request.GET.get("topic", "")
    if topic_slug:
        # Only a slug reaches the database (PostgreSQL refuses text with NUL in it).
        topic = Topic.objects.filter(slug=topic_slug).first() if is_slug(topic_slug) else None
        if topic is None:
            raise Http404
        questions = questions.filter(topics=topic)
    if tab == "unanswered":
        questions = questions.filter(answer_count=0, closed_at__isnull=True)
    if tab == "top" and PERIODS[period]:
        questions = questions.filter(
            created_at__gte=timezone.now() - timedelta(days=PERIODS[period])
        )
    questions = (
        questions.order_by(*TABS[tab])
        .select_related(*AUTHOR_RELATED, "source")
        .prefetch_related("topics")
    )
    page = _page(Paginator(questions, PER_PAGE), request.GET.get("page"))
    roles = identity.roles_of(q.author_id for q in page.object_list)
    rows = [
        {
            "question": question,
            "byline": identity.byline(
                question, question, request.user, source=question.source, roles=roles
            ),
        }
        for question in page.object_list
    ]
    return render(
        request,
        "knowledge/question_list.html",
        {
            "rows": rows,
            "page_obj": page,
            "tab": tab,
            "tabs": [
                ("newest", _("Newest")),
                ("active", _("Active")),
                ("unanswered", _("Unanswered")),
                ("top", _("Top")),
            ],
            "period": period,
            "periods": [
                ("week", _("This week")),
                ("month", _("This month")),
                ("all", _("All time")),
            ],
            "topic": topic,
            "topics": Topic.objects.all(),
            "querystring": urlencode(
                {"tab": tab, "period": period, **({"topic": topic.slug} if topic else {})}
            ),
            "subscribed_to_topic": bool(
                topic
                and request.user.is_authenticated
                and Subscription.objects.filter(user=request.user, topic=topic).exists()
            ),
        },
    )


def _visible_question(request, pk) -> Question:
    question = get_object_or_404(
        Question.objects.visible_to(request.user).select_related(
            *AUTHOR_RELATED, "source", "duplicate_of", "case_study"
        ),
        pk=pk,
    )
    return question


def _comments_prefetch(viewer):
    # The first comments of each answer of the page only: one windowed query for them all.
    comments = Comment.objects.visible_to(viewer).select_related(*AUTHOR_RELATED)
    return Prefetch(
        "comments", queryset=comments[: threads.COMMENTS_RENDERED], to_attr="shown_comments"
    )


def _comment_counts(viewer, question, answers) -> dict[tuple[str, int], int]:
    """How many comments the reader may see on the question and on each answer: one query."""
    rows = (
        Comment.objects.visible_to(viewer)
        .filter(Q(question=question) | Q(answer__in=[a.pk for a in answers]))
        .values("question_id", "answer_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {
        ("question", r["question_id"]) if r["question_id"] else ("answer", r["answer_id"]): r["n"]
        for r in rows
    }


def question_detail(request, pk, answer_form=None, comment_form=None, commented=None, page=None):
    """The question page: the question, then one page of its answers (threads.py says how they
    are ordered, paged and linked to, and how comments fold). A refused answer or comment comes
    back here bound to its form, so the member sees why and keeps what they wrote; `commented`
    is the commented post's (kind, pk) and `page` the page that holds it."""
    question = _visible_question(request, pk)
    viewer = request.user
    moderator = posting.is_moderator(viewer)
    sort = threads.sort_of(request.GET.get("sort"))
    paginator = Paginator(
        threads.ordered_answers(question, viewer, sort)
        .select_related(*AUTHOR_RELATED, "source")
        .prefetch_related(_comments_prefetch(viewer)),
        threads.answers_per_page(),
    )
    page_obj = _page(paginator, page or request.GET.get("page"))
    answers = list(page_obj.object_list)
    question_comments = list(
        Comment.objects.visible_to(viewer)
        .filter(question=question)
        .select_related(*AUTHOR_RELATED)[: threads.COMMENTS_RENDERED]
    )
    comment_counts = _comment_counts(viewer, question, answers)
    for a in answers:
        a.question = question  # the thread is known: no query per answer for it
    # The question's and answers' Markdown, rendered once per text and fetched in one round trip.
    html = caching.rendered_markdown([question.body, *(a.body for a in answers)])
    question.body_html = html[question.body]
    for a in answers:
        a.body_html = html[a.body]
    my_votes = posting.votes_of(viewer, questions=[question], answers=answers)
    suspended = viewer.is_authenticated and posting.suspension(viewer) is not None
    roles = identity.roles_of(
        [
            question.author_id,
            *(a.author_id for a in answers),
            *(c.author_id for a in answers for c in a.shown_comments),
            *(c.author_id for c in question_comments),
        ]
    )

    def by(post):
        return identity.byline(
            post,
            question,
            viewer,
            is_moderator=moderator,
            source=getattr(post, "source", None),
            roles=roles,
        )

    def comments_of(kind, post, comments):
        return threads.comment_block(
            [{"comment": c, "byline": by(c)} for c in comments],
            comment_counts.get((kind, post.pk), 0),
            kind,
            post.pk,
        )

    answer_rows = [
        {
            "answer": a,
            "byline": by(a),
            "my_vote": my_votes.get(("answer", a.pk), 0),
            "can_edit": posting.can_edit(viewer, a, question=question, suspended=suspended),
            "comments": comments_of("answer", a, a.shown_comments),
        }
        for a in answers
    ]
    subscribed = (
        viewer.is_authenticated
        and Subscription.objects.filter(user=viewer, question=question).exists()
    )
    can_answer = question.is_published and not question.is_locked and not question.is_closed
    peers = []
    if question.is_published and viewer.is_authenticated:
        peers = [
            peer
            for peer in notifications.peers_for(question)
            if getattr(peer, "profile", None) and peer.profile.is_public
        ]
    # The structured data describes the question, not a page of it: on the first page only.
    json_ld = ""
    if page_obj.number == 1:
        # A visitor's first page in the default order starts with what the structured data
        # shows, and the paginator has counted what it counts: reuse both.
        as_everyone = not viewer.is_authenticated and sort == threads.DEFAULT_SORT
        enough = len(answers) > schema.SUGGESTED_ANSWERS or not page_obj.has_next()
        reuse = {"first_answers": answers, "answer_count": paginator.count}
        json_ld = schema.qa_page(question, request, **(reuse if as_everyone and enough else {}))
    return render(
        request,
        "knowledge/question_detail.html",
        {
            "question": question,
            "topics": list(question.topics.all()),
            "byline": by(question),
            "my_vote": my_votes.get(("question", question.pk), 0),
            "question_comments": comments_of("question", question, question_comments),
            "answer_rows": answer_rows,
            "page_obj": page_obj,
            "answer_total": paginator.count,
            "sort": sort,
            "sorts": [
                ("votes", _("Highest score")),
                ("oldest", _("Oldest first")),
                ("newest", _("Newest first")),
            ],
            "querystring": urlencode({"sort": sort}) if sort != threads.DEFAULT_SORT else "",
            "can_edit": posting.can_edit(viewer, question, suspended=suspended),
            "can_accept": posting.can_accept(viewer, question) and not question.is_locked,
            "can_close": posting.can_close(viewer, question) and not question.is_closed,
            "is_moderator": moderator,
            "can_answer": can_answer,
            "answer_form": answer_form or AnswerForm(),
            "comment_form": comment_form or CommentForm(),
            "commented_kind": commented[0] if commented else None,
            "commented_pk": commented[1] if commented else None,
            "subscribed": subscribed,
            "peers": peers,
            "json_ld": json_ld,
        },
    )


def post_comments(request, kind, pk):
    """Every comment of one post, in pages: where "Show N more comments" leads when a post has
    more than the thread shows (threads.py)."""
    post, question = _post(request, kind, pk)
    viewer = request.user
    moderator = posting.is_moderator(viewer)
    comments = (
        Comment.objects.visible_to(viewer)
        .filter(**{kind: post})
        .select_related(*AUTHOR_RELATED)
        .order_by("created_at", "pk")
    )
    page_obj = _page(Paginator(comments, threads.COMMENTS_PER_PAGE), request.GET.get("page"))
    shown = list(page_obj.object_list)
    roles = identity.roles_of(c.author_id for c in shown)
    rows = [
        {
            "comment": c,
            "byline": identity.byline(c, question, viewer, is_moderator=moderator, roles=roles),
        }
        for c in shown
    ]
    return render(
        request,
        "knowledge/comments.html",
        {
            "post": post,
            "kind": kind,
            "question": question,
            "comments": threads.CommentBlock(shown=rows, total=page_obj.paginator.count),
            "page_obj": page_obj,
            "comment_form": CommentForm(),
        },
    )


def answer_link(request, pk):
    """An answer's permanent address: to the page of its thread that holds it now, for this
    reader; to its question when the reader may see the question but not the answer."""
    reply = Answer.objects.visible_to(request.user).filter(pk=pk).first()
    question_id = (
        reply.question_id
        if reply
        else Answer.objects.filter(pk=pk).values_list("question_id", flat=True).first()
    )
    if question_id is None:
        raise Http404
    question = _visible_question(request, question_id)
    if reply is None:
        return redirect(question)
    reply.question = question
    return redirect(threads.answer_url(reply, request.user))


def comment_link(request, pk):
    """A comment's permanent address: to where it is in view (threads.comment_url)."""
    note = get_object_or_404(
        Comment.objects.visible_to(request.user).select_related("question", "answer__question"),
        pk=pk,
    )
    if not Question.objects.visible_to(request.user).filter(pk=note.thread.pk).exists():
        raise Http404
    if note.answer_id and not (
        Answer.objects.visible_to(request.user).filter(pk=note.answer_id).exists()
    ):
        raise Http404
    return redirect(threads.comment_url(note, request.user))


def _back(request, fallback) -> HttpResponseRedirect:
    return redirect_back(request, fallback)


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _refusal_text(error) -> str:
    if isinstance(error, posting.RateLimited):
        return str(error.message)
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or _("You cannot do that here.")


# --- moderator powers (people.mfa.acting_for_others) ------------------------------------------


def _author_of(model, pk):
    return model.objects.filter(pk=pk).values_list("author_id", flat=True).first()


def _closes_others_question(request, pk):
    return _author_of(Question, pk) not in (None, request.user.pk)


def _accepts_on_others_question(request, pk):
    asker = Answer.objects.filter(pk=pk).values_list("question__author_id", flat=True).first()
    return asker not in (None, request.user.pk)


def _edits_others_post(request, kind, pk):
    model = {"question": Question, "answer": Answer}.get(kind)
    return model is not None and _author_of(model, pk) not in (None, request.user.pk)


def _refused(request, error, fallback):
    """A rule said no: a message and back to where the member was (or JSON for scripts)."""
    text = _refusal_text(error)
    if isinstance(error, posting.RateLimited):
        status = 429
    elif isinstance(error, ValidationError):
        status = 400
    else:
        status = 403
    if _wants_json(request):
        return JsonResponse({"error": text}, status=status)
    messages.error(request, text)
    return _back(request, fallback)


def _case_asked_about(request):
    """The case study whose authors are asked (?case=<page id>), when it is live."""
    raw = request.POST.get("case") or request.GET.get("case") or ""
    if not raw.isdigit():
        return None
    return CaseStudyPage.objects.live().filter(pk=int(raw)).first()


@login_required
def ask(request):
    case = _case_asked_about(request)
    initial = {"topics": list(case.topics.all())} if case else {}
    form = QuestionForm(request.POST or None, initial=initial)
    preview = None
    similar = []
    if request.method == "POST":
        if request.POST.get("action") == "preview" or not form.is_valid():
            preview = render_preview(request.POST.get("body", ""))
            similar = similar_to(request, request.POST.get("title", ""))
        else:
            try:
                with idempotency.once(request) as done:
                    question = posting.ask(
                        request.user,
                        title=form.cleaned_data["title"],
                        body=form.cleaned_data["body"],
                        topics=form.cleaned_data["topics"],
                        anonymous=form.cleaned_data["is_anonymous"],
                        case_study=case,
                    )
                    done(question.get_absolute_url())
            except idempotency.AlreadySubmitted as repeat:
                return redirect(repeat.url)
            except (PermissionDenied, posting.RateLimited) as error:
                # Nothing typed is lost: the form comes back with the reason.
                messages.error(request, _refusal_text(error))
            else:
                if question.is_published:
                    messages.success(request, _("Your question is posted."))
                else:
                    messages.info(
                        request,
                        _(
                            "Thank you. As a new member, your first posts are checked by a "
                            "moderator before they are public; you will be notified."
                        ),
                    )
                return redirect(question)
    return render(
        request,
        "knowledge/ask.html",
        {"form": form, "preview": preview, "similar": similar, "case": case},
    )


@require_GET
def similar(request):
    """JSON for the ask form's script: what may already answer the title typed so far."""
    results = similar_to(request, request.GET.get("q", "")[:300])
    return JsonResponse({"results": results}, json_dumps_params={"ensure_ascii": False})


@login_required
@require_POST
def post_answer(request, pk):
    question = _visible_question(request, pk)
    form = AnswerForm(request.POST)
    if request.POST.get("action") == "preview" or not form.is_valid():
        return question_detail(request, pk, answer_form=form)
    try:
        with idempotency.once(request) as done:
            reply = posting.answer(request.user, question, body=form.cleaned_data["body"])
            reply.question = question
            landing = threads.answer_url(reply, request.user)
            done(landing)
    except idempotency.AlreadySubmitted as repeat:
        return redirect(repeat.url)
    except (PermissionDenied, posting.RateLimited) as error:
        messages.error(request, _refusal_text(error))
        return question_detail(request, pk, answer_form=form)
    if reply.is_published:
        messages.success(request, _("Your answer is posted."))
    else:
        messages.info(request, _("Your answer will be public once a moderator has checked it."))
    return redirect(landing)


def _post(request, kind, pk):
    model = {"question": Question, "answer": Answer}.get(kind)
    if model is None:
        raise Http404
    post = get_object_or_404(
        model.objects.visible_to(request.user).select_related(
            *(("question",) if kind == "answer" else ())
        ),
        pk=pk,
    )
    question = post if kind == "question" else post.question
    if not Question.objects.visible_to(request.user).filter(pk=question.pk).exists():
        raise Http404
    return post, question


@login_required
@require_POST
def vote(request, kind, pk):
    post, question = _post(request, kind, pk)
    # What the vote is to be, not a toggle: the same form sent twice ends as sent once.
    value = {"up": 1, "down": -1, "none": 0}.get(request.POST.get("value", ""))
    if value is None:
        return _refused(
            request, ValidationError(_("A vote is up or down.")), question.get_absolute_url()
        )
    try:
        outcome = posting.vote(request.user, post, value)
    except (PermissionDenied, ValidationError, posting.RateLimited) as error:
        return _refused(request, error, post.get_absolute_url())
    if _wants_json(request):
        return JsonResponse({"score": outcome.score, "vote": outcome.value})
    post.score = outcome.score  # the answer may have moved to another page
    return redirect(threads.thread_url(post, request.user))


@login_required
@require_POST
@acting_for_others(_accepts_on_others_question)
def accept(request, pk):
    reply, _question = _post(request, "answer", pk)
    # "accepted=0" withdraws; anything else accepts, however often it is sent.
    wanted = request.POST.get("accepted", "1") != "0"
    try:
        accepted = posting.accept(request.user, reply, accepted=wanted)
    except PermissionDenied as error:
        return _refused(request, error, reply.get_absolute_url())
    messages.success(
        request, _("Answer accepted.") if accepted else _("The answer is no longer accepted.")
    )
    reply.question.accepted_answer_id = reply.pk if accepted else None
    return redirect(threads.answer_url(reply, request.user))


@login_required
@require_POST
def post_comment(request, kind, pk):
    post, question = _post(request, kind, pk)
    form = CommentForm(request.POST)

    def shown_again():
        # With the reason, on the page of the thread that holds the post.
        page = threads.page_of(post, request.user) if kind == "answer" else None
        return question_detail(
            request, question.pk, comment_form=form, commented=(kind, post.pk), page=page
        )

    if not form.is_valid():
        return shown_again()
    try:
        with idempotency.once(request) as done:
            note = posting.comment(request.user, post, body=form.cleaned_data["body"])
            landing = threads.comment_url(note, request.user)
            done(landing)
    except idempotency.AlreadySubmitted as repeat:
        return redirect(repeat.url)
    except (PermissionDenied, posting.RateLimited) as error:
        if _wants_json(request):
            return _refused(request, error, post.get_absolute_url())
        form.add_error(None, _refusal_text(error))
        shown = shown_again()
        shown.status_code = 429 if isinstance(error, posting.RateLimited) else 403
        return shown
    if note.visibility != Visibility.PUBLISHED:
        messages.info(request, _("Your comment will be public once a moderator has checked it."))
    return redirect(landing)


@login_required
@acting_for_others(_edits_others_post)
def edit(request, kind, pk):
    post, question = _post(request, kind, pk)
    if not posting.can_edit(request.user, post):
        raise PermissionDenied
    if kind == "question":
        initial = {"title": post.title, "body": post.body, "topics": list(post.topics.all())}
        form_class = EditQuestionForm
    else:
        initial = {"body": post.body}
        form_class = EditAnswerForm
    form = form_class(request.POST or None, initial=initial)
    preview = None
    if request.method == "POST":
        if request.POST.get("action") == "preview" or not form.is_valid():
            preview = render_preview(request.POST.get("body", ""))
        else:
            data = form.cleaned_data
            extra = {"title": data["title"], "topics": data["topics"]} if kind == "question" else {}
            changed = posting.edit(
                request.user, post, body=data["body"], summary=data["summary"], **extra
            )
            messages.success(request, _("Saved.") if changed else _("Nothing was changed."))
            return redirect(threads.thread_url(post, request.user))
    return render(
        request,
        "knowledge/edit.html",
        {"form": form, "post": post, "question": question, "kind": kind, "preview": preview},
    )


def revisions(request, kind, pk):
    post, question = _post(request, kind, pk)
    moderator = posting.is_moderator(request.user)
    history = list(post.revisions.select_related(*AUTHOR_RELATED))
    if not history:
        raise Http404
    numbers = [r.number for r in history]

    def chosen(name, default):
        try:
            number = int(request.GET.get(name, default))
        except (TypeError, ValueError):
            return default
        return number if number in numbers else default

    newest = numbers[-1]
    new = chosen("to", newest)
    old = chosen("from", max([n for n in numbers if n < new], default=new))
    by_number = {r.number: r for r in history}
    roles = identity.roles_of(r.author_id for r in history)
    rows = [
        {
            "revision": r,
            "byline": identity.byline(
                r, question, request.user, is_moderator=moderator, roles=roles
            ),
        }
        for r in reversed(history)
    ]
    return render(
        request,
        "knowledge/revisions.html",
        {
            "post": post,
            "question": question,
            "kind": kind,
            "rows": rows,
            "old": by_number[old],
            "new": by_number[new],
            "title_diff": diffs.diff_lines(by_number[old].title, by_number[new].title),
            "body_diff": diffs.diff_lines(by_number[old].body, by_number[new].body),
        },
    )


@login_required
@acting_for_others(_closes_others_question)
def close(request, pk):
    question = _visible_question(request, pk)
    if not posting.can_close(request.user, question):
        raise PermissionDenied
    form = CloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            posting.close_as_duplicate(request.user, question, form.cleaned_data["original"])
        except ValidationError as error:
            form.add_error("original", error)
        else:
            messages.success(request, _("The question is closed as a duplicate."))
            return redirect(question)
    return render(request, "knowledge/close.html", {"form": form, "question": question})


@login_required
@require_POST
@acting_for_others()
def reopen(request, pk):
    question = _visible_question(request, pk)
    try:
        posting.reopen(request.user, question)
    except PermissionDenied as error:
        return _refused(request, error, question.get_absolute_url())
    messages.success(request, _("The question is open again."))
    return redirect(question)


@login_required
def flag(request, kind, pk):
    model = {"question": Question, "answer": Answer, "comment": Comment}.get(kind)
    if model is None:
        raise Http404
    target = get_object_or_404(model.objects.published(), pk=pk)
    form = FlagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with idempotency.once(request) as done:
                posting.flag(
                    request.user,
                    target,
                    reason=form.cleaned_data["reason"],
                    note=form.cleaned_data["note"],
                )
                landing = threads.thread_url(target, request.user)
                done(landing)
        except idempotency.AlreadySubmitted as repeat:
            return redirect(repeat.url)
        except (PermissionDenied, posting.RateLimited) as error:
            return _refused(request, error, target.get_absolute_url())
        messages.success(request, _("Thank you. A moderator will look at it."))
        return redirect(landing)
    return render(request, "knowledge/flag.html", {"form": form, "target": target, "kind": kind})


@login_required
@require_POST
def subscribe(request, kind, key):
    if kind in ("question", "person") and not key.isdigit():
        raise Http404
    if kind == "question":
        target = {"question": _visible_question(request, key)}
        fallback = target["question"].get_absolute_url()
    elif kind == "topic":
        target = {"topic": get_object_or_404(Topic, slug=key)}
        fallback = reverse("knowledge:list") + f"?topic={key}"
    elif kind == "person":
        person = get_object_or_404(
            get_user_model(), pk=key, is_active=True, profile__is_public=True
        )
        if person.pk == request.user.pk:
            return _refused(request, PermissionDenied(_("You cannot follow yourself.")), "/")
        target = {"person": person}
        fallback = person.profile.get_absolute_url()
    else:
        raise Http404
    if request.POST.get("action") == "unsubscribe":
        notifications.unsubscribe(request.user, **target)
        messages.success(request, _("You no longer follow this."))
    else:
        notifications.subscribe(request.user, **target)
        messages.success(request, _("You follow this now: new activity reaches your inbox."))
    return _back(request, fallback)


@login_required
def inbox(request):
    if request.method == "POST":
        Notification.objects.filter(recipient=request.user, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        messages.success(request, _("All notifications are marked as read."))
        return redirect("knowledge:inbox")
    notes = Notification.objects.filter(recipient=request.user).select_related(
        "question", "actor__profile__municipality__prefecture"
    )
    page = _page(Paginator(notes, 30), request.GET.get("page"))
    rows = [
        {
            "note": note,
            "text": notifications.describe(note),
            "url": reverse("knowledge:open_notification", args=[note.pk]),
        }
        for note in page.object_list
    ]
    return render(request, "knowledge/inbox.html", {"rows": rows, "page_obj": page})


@login_required
def open_notification(request, pk):
    note = get_object_or_404(Notification, pk=pk, recipient=request.user)
    if note.read_at is None:
        Notification.objects.filter(pk=note.pk).update(read_at=timezone.now())
    # Straight to the page of the thread that holds the answer, as this reader sees it now.
    if note.answer_id:
        return answer_link(request, note.answer_id)
    return redirect(notifications.target_url(note))


@login_required
def notification_settings(request):
    standing = posting.member(request.user)
    form = NotificationSettingsForm(request.POST or None, instance=standing)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
        return redirect("knowledge:settings")
    subscriptions = Subscription.objects.filter(user=request.user).select_related(
        "question", "topic", "person__profile"
    )
    return render(
        request,
        "knowledge/settings.html",
        {"form": form, "subscriptions": subscriptions, "standing": standing},
    )
