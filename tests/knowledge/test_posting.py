"""The rules of the knowledge base: votes, accepting, revisions, edit rights, closing, review of a
new member's first posts, rate limits and suspensions."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from knowledge import posting
from knowledge.diffs import diff_lines
from knowledge.models import Question, QuestionStatus, Revision, Visibility, Vote

from .conftest import make_member


def score_of(post):
    return type(post).objects.values_list("score", flat=True).get(pk=post.pk)


# --- votes -------------------------------------------------------------------------------------


def test_up_down_and_take_back(answer, asker, peer):
    assert posting.vote(asker, answer, Vote.UP).score == 1
    assert posting.vote(peer, answer, Vote.DOWN).score == 0
    # The same vote again changes nothing (a double click); 0 takes it back; the other one
    # replaces it.
    outcome = posting.vote(asker, answer, Vote.UP)
    assert (outcome.score, outcome.value) == (0, 1)
    outcome = posting.vote(asker, answer, 0)
    assert (outcome.score, outcome.value) == (-1, 0)
    outcome = posting.vote(peer, answer, Vote.UP)
    assert (outcome.score, outcome.value) == (1, 1)
    assert Vote.objects.filter(answer=answer).count() == 1
    assert score_of(answer) == sum(
        Vote.objects.filter(answer=answer).values_list("value", flat=True)
    )


def test_one_vote_per_member_per_post(question, answerer, peer):
    posting.vote(answerer, question, Vote.UP)
    posting.vote(answerer, question, Vote.DOWN)
    assert Vote.objects.filter(question=question, user=answerer).count() == 1
    assert score_of(question) == -1


def test_no_vote_on_ones_own_post(question, answer, asker, answerer):
    with pytest.raises(PermissionDenied):
        posting.vote(asker, question, Vote.UP)
    with pytest.raises(PermissionDenied):
        posting.vote(answerer, answer, Vote.UP)
    assert Vote.objects.count() == 0


def test_a_vote_is_up_or_down(answer, asker):
    with pytest.raises(ValidationError):
        posting.vote(asker, answer, 5)


def test_no_votes_on_a_locked_question(question, answer, moderator, peer):
    posting.set_locked(moderator, question, True)
    answer.question.refresh_from_db()
    with pytest.raises(PermissionDenied):
        posting.vote(peer, answer, Vote.UP)


# --- accepting ---------------------------------------------------------------------------------


def test_the_asker_accepts_and_may_change_their_mind(question, answer, asker, peer):
    second = posting.answer(peer, question, body="県の推進体制に相談するのも一つの方法です。")
    assert posting.accept(asker, answer) is True
    question.refresh_from_db()
    assert question.accepted_answer == answer
    assert question.status == QuestionStatus.ACCEPTED
    assert posting.accept(asker, second) is True
    question.refresh_from_db()
    assert question.accepted_answer == second
    # Accepting the accepted one again keeps it (a double click); withdrawing withdraws it.
    assert posting.accept(asker, second) is True
    assert posting.accept(asker, second, accepted=False) is False
    question.refresh_from_db()
    assert question.accepted_answer is None
    assert question.status == QuestionStatus.ANSWERED


def test_only_the_asker_or_a_moderator_accepts(question, answer, answerer, peer, moderator):
    with pytest.raises(PermissionDenied):
        posting.accept(peer, answer)
    with pytest.raises(PermissionDenied):
        posting.accept(answerer, answer)
    assert posting.accept(moderator, answer) is True


def test_hiding_the_accepted_answer_clears_it(question, answer, asker, moderator):
    posting.accept(asker, answer)
    posting.hide(moderator, answer)
    question.refresh_from_db()
    assert question.accepted_answer is None
    assert question.answer_count == 0
    assert question.status == QuestionStatus.UNANSWERED


def test_status_follows_the_answers(question, answerer):
    assert question.status == QuestionStatus.UNANSWERED
    posting.answer(answerer, question, body="業務量調査から始めるのがよいと思います。")
    question.refresh_from_db()
    assert (question.status, question.answer_count) == (QuestionStatus.ANSWERED, 1)


# --- revisions and edit rights -----------------------------------------------------------------


def test_every_edit_is_kept_as_a_revision(question, asker):
    edited = question.body + "\n追記：予算は年100万円です。"
    assert posting.edit(asker, question, title=question.title, body=edited, summary="予算を追記")
    # Saving the same text again is not a new revision.
    assert not posting.edit(asker, question, title=question.title, body=edited)
    revisions = list(Revision.objects.filter(question=question))
    assert [r.number for r in revisions] == [1, 2]
    assert revisions[1].summary == "予算を追記"
    assert "年100万円" in revisions[1].body and "年100万円" not in revisions[0].body
    question.refresh_from_db()
    assert question.edited_at is not None


def test_diff_marks_lines_and_characters():
    lines = diff_lines(
        "一行目\n予算は年100万円です。", "一行目\n予算は年120万円です。\n<script>x</script>"
    )
    kinds = [line.kind for line in lines]
    assert kinds == ["same", "removed", "added", "added"]
    assert "<del>0</del>" in lines[1].html and "<ins>2</ins>" in lines[2].html
    # Text is escaped before it is marked.
    assert "&lt;script&gt;" in lines[3].html and "<script>" not in lines[3].html


def test_only_the_author_or_a_moderator_edits(question, answer, asker, answerer, peer, moderator):
    assert posting.can_edit(asker, question) and posting.can_edit(answerer, answer)
    assert not posting.can_edit(peer, question) and not posting.can_edit(asker, answer)
    with pytest.raises(PermissionDenied):
        posting.edit(peer, question, title="乗っ取り", body="書き換えました。" * 3)
    assert posting.edit(moderator, answer, body=answer.body + "（出典を追記）", summary="出典")
    assert Revision.objects.filter(answer=answer).last().author == moderator


def test_a_locked_question_cannot_be_edited_by_its_author(question, asker, moderator):
    posting.set_locked(moderator, question, True)
    assert not posting.can_edit(asker, question)
    assert posting.can_edit(moderator, question)


# --- closing -----------------------------------------------------------------------------------


def test_close_as_duplicate_and_reopen(question, asker, answerer, moderator):
    later = posting.ask(
        answerer, title="RPA向きの業務を選ぶ基準", body="RPAの対象業務の選び方を知りたいです。"
    )
    posting.close_as_duplicate(moderator, later, question)
    later.refresh_from_db()
    assert later.status == QuestionStatus.CLOSED and later.duplicate_of == question
    with pytest.raises(PermissionDenied):
        posting.answer(asker, later, body="こちらではなく元の質問に回答してください。")
    with pytest.raises(PermissionDenied):
        posting.reopen(answerer, later)
    posting.reopen(moderator, later)
    later.refresh_from_db()
    assert later.status == QuestionStatus.UNANSWERED and later.duplicate_of is None


def test_a_question_is_not_its_own_duplicate(question, asker):
    with pytest.raises(ValidationError):
        posting.close_as_duplicate(asker, question, question)


def test_others_cannot_close(question, peer, answerer):
    other = posting.ask(
        peer, title="別の質問のタイトルです", body="別の質問の本文をここに書きます。"
    )
    with pytest.raises(PermissionDenied):
        posting.close_as_duplicate(answerer, other, question)


# --- review, rate limits, suspension ------------------------------------------------------------


def test_a_new_members_first_posts_wait_for_review(newcomer, moderator, question, settings):
    settings.KNOWLEDGE_REVIEWED_POSTS = 2
    first = posting.answer(newcomer, question, body="当町ではExcelマクロから始めました。")
    assert first.visibility == Visibility.PENDING
    question.refresh_from_db()
    assert question.answer_count == 0
    posting.approve(moderator, first)
    first.refresh_from_db()
    question.refresh_from_db()
    assert first.visibility == Visibility.PUBLISHED and question.answer_count == 1
    second = posting.answer(newcomer, question, body="追加で、AI-OCRも併せて導入しました。")
    assert second.visibility == Visibility.PENDING
    posting.approve(moderator, second)
    third = posting.ask(
        newcomer, title="二回承認された後の質問", body="これはすぐに公開されるはずです。"
    )
    assert third.visibility == Visibility.PUBLISHED


def test_rate_limit(asker, settings):
    settings.KNOWLEDGE_RATE_LIMITS = {"question": 2}
    for n in range(2):
        posting.ask(
            asker, title=f"質問のタイトル {n} 件目", body="本文は二十文字以上必要です。ここまで。"
        )
    with pytest.raises(posting.RateLimited):
        posting.ask(
            asker, title="三件目の質問のタイトル", body="本文は二十文字以上必要です。ここまで。"
        )
    assert Question.objects.filter(author=asker).count() == 2


def test_moderators_are_not_rate_limited(moderator, settings):
    settings.KNOWLEDGE_RATE_LIMITS = {"question": 1}
    for n in range(3):
        posting.ask(
            moderator, title=f"お知らせ {n} 件目です", body="モデレーターからのお知らせの本文です。"
        )


def test_a_suspended_member_cannot_post_until_it_ends(moderator, asker, question):
    posting.suspend(moderator, asker, days=7, reason="スパムの繰り返し")
    with pytest.raises(posting.Suspended):
        posting.ask(
            asker, title="停止中の質問のタイトル", body="停止中は投稿できないはずの本文です。"
        )
    assert not posting.can_edit(asker, question)
    posting.lift_suspension(moderator, asker)
    posting.ask(
        asker, title="解除後の質問のタイトル", body="解除されたので投稿できるはずの本文です。"
    )


def test_moderators_cannot_be_suspended_here(moderator, db):
    other = make_member("別のモデレーター")
    other.groups.add(*moderator.groups.all())
    with pytest.raises(PermissionDenied):
        posting.suspend(moderator, other, days=1, reason="x")


def test_flags_are_one_per_member_and_target(answer, peer):
    first = posting.flag(peer, answer, reason="spam")
    again = posting.flag(peer, answer, reason="abusive")
    assert first.pk == again.pk


def test_moderation_is_recorded_in_wagtail_history(answer, moderator):
    from wagtail.models import ModelLogEntry

    posting.hide(moderator, answer, reason="広告")
    posting.restore(moderator, answer)
    actions = list(
        ModelLogEntry.objects.filter(object_id=str(answer.pk)).values_list("action", "user_id")
    )
    assert ("knowledge.hide", moderator.pk) in actions
    assert ("knowledge.restore", moderator.pk) in actions


def test_timestamps(question):
    assert question.created_at <= timezone.now()
    assert question.last_activity_at >= question.created_at


def test_hiding_a_hidden_post_upholds_flags_raised_since(answer, moderator, peer):
    from knowledge.models import Flag

    posting.hide(moderator, answer)
    late = posting.flag(peer, answer, reason="spam")
    posting.hide(moderator, answer)
    late.refresh_from_db()
    assert late.status == Flag.Status.UPHELD and late.handled_by == moderator
