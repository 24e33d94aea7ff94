"""The moderators' desk in the Wagtail admin: who may open it, what it shows, what its buttons do,
that each action is in the audit log, and that its query count does not grow with the queue."""

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry
from wagtail.users.models import UserProfile

from knowledge import posting
from knowledge.models import Answer, Comment, Flag, FlagReason, Member, Question, Visibility
from tests.factories import UserFactory

from .conftest import make_member

QUEUE = "/admin/knowledge/moderation/"
# The queue page's queries, whatever the number of posts in it (checked for 2 and for 20).
QUERY_BUDGET = 20


def english(user):
    """The admin in English, so that the assertions read the source strings."""
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "en"
    profile.save()
    return user


@pytest.fixture
def mod_client(client, moderator):
    client.force_login(english(moderator))
    return client


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def new_question(author, *, visibility=Visibility.PUBLISHED, anonymous=False, title=None, body=""):
    now = timezone.now()
    return Question.objects.create(
        title=title or f"Question by {author.email}",
        body=body or "A **question** body.",
        author=author,
        is_anonymous=anonymous,
        created_at=now,
        last_activity_at=now,
        visibility=visibility,
    )


def new_answer(author, question, *, visibility=Visibility.PUBLISHED, body="An answer."):
    return Answer.objects.create(
        question=question,
        body=body,
        author=author,
        created_at=timezone.now(),
        visibility=visibility,
    )


def new_comment(author, *, visibility=Visibility.PUBLISHED, body="A comment.", **on):
    return Comment.objects.create(
        body=body, author=author, created_at=timezone.now(), visibility=visibility, **on
    )


def logged(action, target):
    return ModelLogEntry.objects.filter(
        action=action,
        object_id=str(target.pk),
        content_type__model=type(target)._meta.model_name,
    )


# --- who may come in ---------------------------------------------------------------------------


def test_moderators_group_can_moderate_and_enter_the_admin(moderator):
    group = Group.objects.get(name="Moderators")
    codenames = set(group.permissions.values_list("content_type__app_label", "codename"))
    assert ("knowledge", "moderate_posts") in codenames
    assert ("wagtailadmin", "access_admin") in codenames
    assert moderator.has_perm("knowledge.moderate_posts")


def admin_urls(question, answer, comment, flag, user):
    return [
        ("get", QUEUE),
        ("get", reverse("knowledge_moderation_suspensions")),
        ("get", reverse("knowledge_moderation_suspend", args=[user.pk])),
        ("post", reverse("knowledge_moderation_suspend", args=[user.pk])),
        ("post", reverse("knowledge_moderation_lift", args=[user.pk])),
        ("post", reverse("knowledge_moderation_approve", args=["question", question.pk])),
        ("post", reverse("knowledge_moderation_approve", args=["answer", answer.pk])),
        ("post", reverse("knowledge_moderation_hide", args=["comment", comment.pk])),
        ("post", reverse("knowledge_moderation_hide", args=["question", question.pk])),
        ("post", reverse("knowledge_moderation_restore", args=["question", question.pk])),
        ("post", reverse("knowledge_moderation_dismiss_flags", args=["question", question.pk])),
        ("post", reverse("knowledge_moderation_dismiss_flag", args=[flag.pk])),
        ("post", reverse("knowledge_moderation_lock", args=[question.pk])),
    ]


@pytest.fixture
def some_of_everything(asker, newcomer, peer):
    question = new_question(newcomer, visibility=Visibility.PENDING)
    published = new_question(asker)
    answer = new_answer(newcomer, published, visibility=Visibility.PENDING)
    comment = new_comment(newcomer, question=published)
    flag = posting.flag(peer, published, reason=FlagReason.SPAM)
    return question, answer, comment, flag


@pytest.mark.parametrize("who", ["learner", "editor"])
def test_no_one_else_gets_in(client, who, some_of_everything, peer):
    question, answer, comment, flag = some_of_everything
    user = make_member("学習 者")
    if who == "editor":  # may enter the Wagtail admin, but not moderate
        user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(english(user))
    posting.suspend(
        UserFactory(is_superuser=True), peer, days=3, reason="Suspended before the test."
    )
    for method, url in admin_urls(question, answer, comment, flag, peer):
        data = {"days": "3", "reason": "x", "locked": "1"} if method == "post" else None
        response = getattr(client, method)(url, data)
        # Wagtail turns a refusal into a redirect: to the sign-in page (allauth's, the admin's
        # only way in) for someone who may not enter the admin, to the dashboard with an error
        # for someone who may.
        assert response.status_code in (302, 403), url
        if response.status_code == 302:
            expected = "/admin/" if who == "editor" else "/accounts/login/"
            assert response["Location"].split("?")[0] == expected, url
    question.refresh_from_db()
    answer.refresh_from_db()
    comment.refresh_from_db()
    flag.refresh_from_db()
    assert question.visibility == Visibility.PENDING
    assert answer.visibility == Visibility.PENDING
    assert comment.visibility == Visibility.PUBLISHED
    assert flag.status == Flag.Status.OPEN
    assert not Question.objects.filter(is_locked=True).exists()
    assert posting.suspension(peer) is not None
    assert not ModelLogEntry.objects.filter(user=user).exists()


def test_the_menu_item_is_for_moderators_only(client, moderator):
    editor = english(make_member("編集 者"))
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    assert '"knowledge-moderation"' not in client.get("/admin/").text
    client.force_login(english(moderator))
    html = client.get("/admin/").text
    assert '"knowledge-moderation"' in html  # the sidebar is drawn from JSON
    assert "Q\\u0026A moderation" in html


# --- what the queue shows ---------------------------------------------------------------------


def test_the_queue_shows_pending_posts_with_who_wrote_them(mod_client, newcomer, asker):
    anonymous = posting.ask(
        newcomer,
        title="Pending and anonymous",
        body="How do we *start* with RPA? <script>alert(1)</script>",
        anonymous=True,
    )
    assert anonymous.visibility == Visibility.PENDING
    published = new_question(asker, title="A published thread")
    reply = new_answer(newcomer, published, visibility=Visibility.PENDING, body="A held answer")
    note = new_comment(newcomer, answer=reply, visibility=Visibility.PENDING, body="A held note")

    response = mod_client.get(QUEUE)

    assert response.status_code == 200
    html = response.text
    assert "Pending and anonymous" in html
    assert "<em>start</em>" in html  # Markdown rendered ...
    assert "<script>alert(1)" not in html  # ... and sanitised
    assert newcomer.email in html
    assert "新人 太郎" in html
    assert "asked anonymously" in html
    assert "A held answer" in html and "A held note" in html
    assert anonymous.get_absolute_url() in html
    # The held answer and comment by their permanent addresses (they find their page when opened).
    assert reply.get_absolute_url() in html and note.get_absolute_url() in html
    pending = [item.post for item in response.context["pending"]]
    assert pending == [anonymous, reply, note]  # oldest first


def test_long_posts_are_cut(mod_client, newcomer):
    new_question(newcomer, visibility=Visibility.PENDING, body="word " * 2000 + "THE-END")
    html = mod_client.get(QUEUE).text
    assert "THE-END" not in html
    assert "…" in html


def test_the_queue_groups_open_flags_by_post(mod_client, question, peer, answerer):
    posting.flag(peer, question, reason=FlagReason.SPAM, note="Looks like an advert.")
    posting.flag(answerer, question, reason=FlagReason.OFF_TOPIC)

    response = mod_client.get(QUEUE)

    flagged = response.context["flagged"]
    assert len(flagged) == 1
    assert flagged[0].post == question
    assert len(flagged[0].flags) == 2
    html = response.text
    assert "Looks like an advert." in html
    assert peer.email in html and answerer.email in html
    assert "Spam or advertising" in html and "Off-topic" in html


# --- actions ----------------------------------------------------------------------------------


def test_approve_publishes_a_pending_post(mod_client, moderator, newcomer):
    question = posting.ask(newcomer, title="Held", body="Waiting for review.")
    assert question.visibility == Visibility.PENDING

    response = mod_client.post(
        reverse("knowledge_moderation_approve", args=["question", question.pk])
    )

    assert response.status_code == 302
    assert response["Location"] == QUEUE
    question.refresh_from_db()
    assert question.visibility == Visibility.PUBLISHED
    assert Member.objects.get(user=newcomer).approved_posts == 1
    assert any("Approved" in m for m in messages_of(response))
    assert logged("knowledge.approve", question).filter(user=moderator).count() == 1
    # Approving again changes nothing and logs nothing.
    mod_client.post(reverse("knowledge_moderation_approve", args=["question", question.pk]))
    assert logged("knowledge.approve", question).count() == 1


def test_approve_an_answer_and_a_comment(mod_client, question, newcomer):
    reply = new_answer(newcomer, question, visibility=Visibility.PENDING)
    note = new_comment(newcomer, question=question, visibility=Visibility.PENDING)
    mod_client.post(reverse("knowledge_moderation_approve", args=["answer", reply.pk]))
    mod_client.post(reverse("knowledge_moderation_approve", args=["comment", note.pk]))
    reply.refresh_from_db()
    note.refresh_from_db()
    question.refresh_from_db()
    assert reply.visibility == note.visibility == Visibility.PUBLISHED
    assert question.answer_count == 1


def test_hide_upholds_the_flags(mod_client, moderator, answer, peer, asker):
    first = posting.flag(peer, answer, reason=FlagReason.ABUSIVE, note="Rude.")
    second = posting.flag(asker, answer, reason=FlagReason.ABUSIVE)

    response = mod_client.post(
        reverse("knowledge_moderation_hide", args=["answer", answer.pk]),
        {"reason": "Abusive language", "next": QUEUE + "#flagged-heading"},
    )

    assert response.status_code == 302
    assert response["Location"] == QUEUE + "#flagged-heading"
    answer.refresh_from_db()
    assert answer.visibility == Visibility.HIDDEN
    for flag in (first, second):
        flag.refresh_from_db()
        assert flag.status == Flag.Status.UPHELD
        assert flag.handled_by == moderator
    entry = logged("knowledge.hide", answer).get()
    assert entry.user == moderator
    assert entry.data["reason"] == "Abusive language"
    assert any("Hidden" in m for m in messages_of(response))
    # The hidden post is listed with who hid it and why.
    response = mod_client.get(QUEUE)
    assert [item.post for item in response.context["hidden"]] == [answer]
    assert response.context["flagged"] == []
    assert "Abusive language" in response.text


def test_hide_a_pending_post_without_a_reason(mod_client, newcomer):
    question = new_question(newcomer, visibility=Visibility.PENDING)
    mod_client.post(reverse("knowledge_moderation_hide", args=["question", question.pk]))
    question.refresh_from_db()
    assert question.visibility == Visibility.HIDDEN


def test_a_too_long_reason_is_refused_without_an_error_page(mod_client, question):
    response = mod_client.post(
        reverse("knowledge_moderation_hide", args=["question", question.pk]),
        {"reason": "x" * 1000},
    )
    assert response.status_code == 302
    assert any("not hidden" in m for m in messages_of(response))
    question.refresh_from_db()
    assert question.visibility == Visibility.PUBLISHED


def test_dismiss_flags_leaves_the_post(mod_client, moderator, question, peer, answerer):
    first = posting.flag(peer, question, reason=FlagReason.OFF_TOPIC)
    second = posting.flag(answerer, question, reason=FlagReason.OTHER, note="Not sure.")

    response = mod_client.post(
        reverse("knowledge_moderation_dismiss_flags", args=["question", question.pk])
    )

    assert response.status_code == 302
    question.refresh_from_db()
    assert question.visibility == Visibility.PUBLISHED
    for flag in (first, second):
        flag.refresh_from_db()
        assert flag.status == Flag.Status.DISMISSED
        assert flag.handled_by == moderator
    assert logged("knowledge.dismiss_flag", question).filter(user=moderator).count() == 2
    assert any("dismissed" in m for m in messages_of(response))


def test_dismiss_one_flag(mod_client, moderator, answer, peer, asker):
    one = posting.flag(peer, answer, reason=FlagReason.SPAM)
    other = posting.flag(asker, answer, reason=FlagReason.SPAM)
    mod_client.post(reverse("knowledge_moderation_dismiss_flag", args=[one.pk]))
    one.refresh_from_db()
    other.refresh_from_db()
    assert (one.status, other.status) == (Flag.Status.DISMISSED, Flag.Status.OPEN)
    assert logged("knowledge.dismiss_flag", answer).get().data == {"flag": one.pk}
    # A handled flag is not handled twice.
    response = mod_client.post(reverse("knowledge_moderation_dismiss_flag", args=[one.pk]))
    assert any("already been handled" in m for m in messages_of(response))
    assert logged("knowledge.dismiss_flag", answer).count() == 1


def test_restore_makes_a_hidden_post_public(mod_client, moderator, question, answer):
    posting.hide(moderator, answer, reason="Mistake")
    question.refresh_from_db()
    assert question.answer_count == 0

    response = mod_client.post(reverse("knowledge_moderation_restore", args=["answer", answer.pk]))

    assert response.status_code == 302
    answer.refresh_from_db()
    question.refresh_from_db()
    assert answer.visibility == Visibility.PUBLISHED
    assert question.answer_count == 1
    assert logged("knowledge.restore", answer).filter(user=moderator).count() == 1
    assert any("Restored" in m for m in messages_of(response))


def test_lock_and_unlock(mod_client, moderator, question, answerer):
    url = reverse("knowledge_moderation_lock", args=[question.pk])
    response = mod_client.post(url, {"locked": "1"})
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.is_locked
    with pytest.raises(PermissionDenied):
        posting.answer(answerer, question, body="Too late.")
    assert logged("knowledge.lock", question).filter(user=moderator).count() == 1

    mod_client.post(url, {"locked": "0"})
    question.refresh_from_db()
    assert not question.is_locked
    assert logged("knowledge.unlock", question).filter(user=moderator).count() == 1

    response = mod_client.post(url, {"locked": "maybe"})
    assert response.status_code == 302
    assert any("lock or unlock" in m for m in messages_of(response))


def test_suspend_and_lift(mod_client, moderator, answerer):
    url = reverse("knowledge_moderation_suspend", args=[answerer.pk])
    assert mod_client.get(url).status_code == 200

    response = mod_client.post(url, {"days": "7", "reason": "Repeated spam."})

    assert response.status_code == 302
    assert response["Location"] == reverse("knowledge_moderation_suspensions")
    standing = Member.objects.get(user=answerer)
    assert standing.suspension_reason == "Repeated spam."
    assert timezone.timedelta(days=6) < standing.suspended_until - timezone.now()
    with pytest.raises(posting.Suspended):
        posting.ask(answerer, title="Can I still ask?", body="No.")
    entry = logged("knowledge.suspend", standing).get()
    assert entry.user == moderator
    assert entry.data == {"days": 7, "reason": "Repeated spam."}

    listing = mod_client.get(reverse("knowledge_moderation_suspensions"))
    assert answerer.email in listing.text
    assert "Repeated spam." in listing.text
    assert [row["person"].user for row in listing.context["rows"]] == [answerer]
    assert listing.context["rows"][0]["by"].user == moderator

    response = mod_client.post(reverse("knowledge_moderation_lift", args=[answerer.pk]))
    assert response.status_code == 302
    assert posting.suspension(answerer) is None
    posting.ask(answerer, title="Back again", body="Thank you.")
    assert logged("knowledge.unsuspend", standing).filter(user=moderator).count() == 1
    assert mod_client.get(reverse("knowledge_moderation_suspensions")).context["rows"] == []


@pytest.mark.parametrize(
    "data",
    [
        {"days": "0", "reason": "Too short."},
        {"days": "366", "reason": "Too long."},
        {"days": "seven", "reason": "Not a number."},
        {"days": "7", "reason": "  "},
        {},
    ],
)
def test_a_bad_suspension_form_is_refused(mod_client, answerer, data):
    response = mod_client.post(reverse("knowledge_moderation_suspend", args=[answerer.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert any("not suspended" in m for m in messages_of(response))
    assert posting.suspension(answerer) is None


def test_moderators_are_not_suspended_here(mod_client, moderator):
    other = make_member("別の モデレーター")
    other.groups.add(Group.objects.get(name="Moderators"))
    response = mod_client.post(
        reverse("knowledge_moderation_suspend", args=[other.pk]),
        {"days": "3", "reason": "Testing."},
    )
    assert response.status_code == 200
    assert messages_of(response)
    assert posting.suspension(other) is None


def test_find_a_member_to_suspend(mod_client, answerer):
    url = reverse("knowledge_moderation_suspensions")
    response = mod_client.get(url, {"email": answerer.email.upper()})
    assert response.status_code == 302
    assert response["Location"] == reverse("knowledge_moderation_suspend", args=[answerer.pk])
    response = mod_client.get(url, {"email": "nobody@example.jp"})
    assert response.status_code == 200
    assert response.context["find"].errors


def test_bad_ids_and_kinds_are_not_found(mod_client, question):
    for url in [
        reverse("knowledge_moderation_approve", args=["question", 999999]),
        reverse("knowledge_moderation_approve", args=["page", question.pk]),
        reverse("knowledge_moderation_hide", args=["answer", 999999]),
        reverse("knowledge_moderation_restore", args=["comment", 999999]),
        reverse("knowledge_moderation_dismiss_flags", args=["vote", question.pk]),
        reverse("knowledge_moderation_dismiss_flag", args=[999999]),
        reverse("knowledge_moderation_lock", args=[999999]),
        reverse("knowledge_moderation_lift", args=[999999]),
        reverse("knowledge_moderation_suspend", args=[999999]),
    ]:
        assert mod_client.post(url, {"locked": "1"}).status_code == 404, url


def test_actions_only_by_post(mod_client, question):
    url = reverse("knowledge_moderation_hide", args=["question", question.pk])
    assert mod_client.get(url).status_code == 405
    question.refresh_from_db()
    assert question.visibility == Visibility.PUBLISHED


def test_a_foreign_next_address_is_ignored(mod_client, newcomer):
    question = new_question(newcomer, visibility=Visibility.PENDING)
    response = mod_client.post(
        reverse("knowledge_moderation_approve", args=["question", question.pk]),
        {"next": "https://evil.example/"},
    )
    assert response["Location"] == QUEUE


def test_actions_appear_in_the_site_history(mod_client, moderator, question):
    mod_client.post(
        reverse("knowledge_moderation_hide", args=["question", question.pk]),
        {"reason": "Off-topic here"},
    )
    mod_client.post(reverse("knowledge_moderation_restore", args=["question", question.pk]))
    actions = list(
        ModelLogEntry.objects.filter(object_id=str(question.pk), user=moderator)
        .order_by("timestamp", "pk")
        .values_list("action", flat=True)
    )
    assert actions == ["knowledge.hide", "knowledge.restore"]
    html = mod_client.get(reverse("wagtailadmin_reports:site_history")).text
    assert "Post hidden" in html
    assert "Post restored" in html


# --- queries ----------------------------------------------------------------------------------


def fill_queue(moderator, n, *, start=0):
    """n posts of each kind awaiting review, n flagged posts and n hidden ones, each by a member
    of their own."""
    for i in range(start, start + n):
        writer = make_member(f"書き手 {i}", trusted=False)
        reporter = make_member(f"報告者 {i}")
        thread = new_question(writer, title=f"Thread {i}", anonymous=i % 2 == 0)
        new_question(writer, visibility=Visibility.PENDING, anonymous=i % 2 == 1)
        reply = new_answer(writer, thread, visibility=Visibility.PENDING)
        new_comment(
            writer,
            visibility=Visibility.PENDING,
            **({"answer": reply} if i % 2 else {"question": thread}),
        )
        published_reply = new_answer(reporter, thread)
        if i % 3 == 0:
            flagged = thread
        elif i % 3 == 1:
            flagged = published_reply
        else:
            flagged = new_comment(reporter, answer=published_reply)
        posting.flag(make_member(f"旗 {i}"), flagged, reason=FlagReason.SPAM, note=f"Note {i}")
        # Hidden while awaiting review: nothing to withdraw or to tell the author.
        held = {"visibility": Visibility.PENDING}
        if i % 3 == 0:
            hidden = new_question(writer, **held)
        elif i % 3 == 1:
            hidden = new_answer(writer, thread, **held)
        else:
            hidden = new_comment(writer, question=thread, **held)
        posting.hide(moderator, hidden, reason=f"Reason {i}")


def test_the_queue_costs_the_same_for_2_and_for_20(
    mod_client, moderator, django_assert_max_num_queries
):
    fill_queue(moderator, 2)
    mod_client.get(QUEUE)  # caches warmed up
    with django_assert_max_num_queries(QUERY_BUDGET) as few:
        response = mod_client.get(QUEUE)
    assert len(response.context["pending"]) == 6
    assert len(response.context["flagged"]) == 2
    assert len(response.context["hidden"]) == 2

    fill_queue(moderator, 18, start=2)
    with django_assert_max_num_queries(QUERY_BUDGET) as many:
        response = mod_client.get(QUEUE)
    assert len(response.context["pending"]) == 60
    assert len(response.context["flagged"]) == 20
    assert len(response.context["hidden"]) == 20
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_suspension_list_costs_the_same_for_2_and_for_20(
    mod_client, moderator, django_assert_max_num_queries
):
    def suspend(n):
        for i in range(n):
            posting.suspend(moderator, make_member(f"停止 {i}-{n}"), days=3, reason=f"R{i}")

    url = reverse("knowledge_moderation_suspensions")
    suspend(2)
    mod_client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert len(mod_client.get(url).context["rows"]) == 2
    suspend(18)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(mod_client.get(url).context["rows"]) == 20
