"""Threads that stay small (issue 22, item 1): a question's answers come in pages, the accepted
one first; every link to an answer or a comment lands on the page that holds it; comments fold
beyond the first three; the JSON-LD stays bounded; and the page's queries do not grow with the
thread."""

import json
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from knowledge import posting, threads
from knowledge.models import Answer, Comment, Notification, Question, Vote

from .conftest import make_member

PARAGRAPH = (
    "当町では、まず業務量調査で年間の処理件数と作業時間を洗い出し、定型的で判断の少ない業務から"
    "RPAの対象にしました。入力先のシステムが年度途中で変わらないこと、例外処理が全体の一割未満で"
    "あることを条件にしています。"
)


def soup(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


def answer_ids(response) -> list[int]:
    return [int(a["id"].removeprefix("answer-")) for a in soup(response).select(".qa-answer")]


def body_of(n: int) -> str:
    """A realistic answer of a few hundred characters, different for each answer."""
    return (
        f"回答その{n}です。{PARAGRAPH}\n\n"
        f"- 対象業務: 申請書の入力（月{n % 90 + 10}件）\n"
        f"- 効果: 年間{n % 300 + 50}時間の削減\n\n"
        f"{PARAGRAPH}"
    )


def build_thread(question, count, *, authors, comments_each=0, scores=None):
    """`count` published answers in one bulk insert (and `comments_each` comments on each),
    scored by `scores(n)` (default: a spread with ties), the newest last."""
    start = timezone.now() - timedelta(days=30)
    answers = Answer.objects.bulk_create(
        Answer(
            question=question,
            author=authors[n % len(authors)],
            body=body_of(n),
            score=scores(n) if scores else n % 7,
            created_at=start + timedelta(minutes=n),
        )
        for n in range(count)
    )
    if comments_each:
        Comment.objects.bulk_create(
            Comment(
                answer=a,
                author=authors[(n + i) % len(authors)],
                body=f"参考になりました（{i}）",
                created_at=start + timedelta(minutes=count + i),
            )
            for n, a in enumerate(answers)
            for i in range(comments_each)
        )
    Question.objects.filter(pk=question.pk).update(answer_count=question.answers.count())
    question.refresh_from_db()
    return answers


def expected_order(question, sort="votes") -> list[int]:
    """The thread's order worked out in Python, to compare the pages with."""
    answers = list(question.answers.all())
    keys = {
        "votes": lambda a: (-a.score, a.created_at, a.pk),
        "oldest": lambda a: (a.created_at, a.pk),
        "newest": lambda a: (-a.created_at.timestamp(), -a.pk),
    }
    answers.sort(key=keys[sort])
    answers.sort(key=lambda a: a.pk != question.accepted_answer_id)
    return [a.pk for a in answers]


@pytest.fixture
def site(home_page):
    return home_page


@pytest.fixture
def authors(db):
    return [make_member(f"回答者{n}") for n in range(8)]


def accept(question, answer):
    Question.objects.filter(pk=question.pk).update(accepted_answer=answer, status="accepted")
    question.refresh_from_db()


# --- pages of answers ----------------------------------------------------------------------------


def test_a_thousand_answers_make_a_page_under_100_kb(client, site, question, authors, peer):
    answers = build_thread(question, 1000, authors=authors, comments_each=0)
    accept(question, answers[500])
    client.force_login(peer)  # a member's page: vote, comment and report forms on every post
    response = client.get(question.get_absolute_url())
    assert response.status_code == 200
    assert len(response.content) <= 100_000, len(response.content)
    assert len(answer_ids(response)) == threads.DEFAULT_ANSWERS_PER_PAGE
    assert soup(response).select_one("#answers-heading").get_text() == "回答 1,000件"
    assert soup(response).select_one(".pagination").get_text(" ", strip=True)


def test_accepted_first_on_page_one_then_by_score_and_page_two_goes_on(
    client, site, question, authors
):
    answers = build_thread(question, 45, authors=authors)
    accept(question, answers[3])  # a low score: first all the same
    order = expected_order(question)
    assert order[0] == answers[3].pk
    first = answer_ids(client.get(question.get_absolute_url()))
    second = answer_ids(client.get(question.get_absolute_url() + "?page=2"))
    third = answer_ids(client.get(question.get_absolute_url() + "?page=3"))
    assert first == order[:20]
    assert second == order[20:40]
    assert third == order[40:]
    everything = first + second + third
    assert everything.count(answers[3].pk) == 1  # not repeated further on
    page = soup(client.get(question.get_absolute_url()))
    assert page.select_one(".qa-answer")["class"] == ["qa-answer", "qa-answer--accepted"]
    assert page.select_one(".pagination a[rel=next]")["href"] == "?page=2#answers-heading"


def test_the_answers_can_be_sorted_by_age(client, site, question, authors):
    answers = build_thread(question, 30, authors=authors)
    accept(question, answers[10])
    for sort in ("oldest", "newest"):
        url = f"{question.get_absolute_url()}?sort={sort}"
        assert answer_ids(client.get(url)) == expected_order(question, sort)[:20]
        next_link = soup(client.get(url)).select_one(".pagination a[rel=next]")["href"]
        assert next_link == f"?sort={sort}&page=2#answers-heading"
    # An unknown sort is the default one.
    bogus = client.get(f"{question.get_absolute_url()}?sort=%00drop")
    assert answer_ids(bogus) == expected_order(question)[:20]


@pytest.mark.parametrize(
    ("value", "page"),
    [
        ("abc", 1),
        ("", 1),
        ("2.5", 1),
        ("1e3", 1),
        ("%00", 1),
        ("9" * 5000, 1),  # longer than Python reads as a number
        ("0", 3),
        ("-1", 3),
        ("999999999999999999999999", 3),
    ],
)
def test_bad_page_values_give_the_first_or_last_page(client, site, question, authors, value, page):
    build_thread(question, 45, authors=authors)
    response = client.get(f"{question.get_absolute_url()}?page={value}")
    assert response.status_code == 200
    assert response.context["page_obj"].number == page


def test_a_thread_without_answers(client, site, question):
    response = client.get(question.get_absolute_url() + "?page=7")
    assert response.status_code == 200
    assert answer_ids(response) == []
    assert not soup(response).select(".pagination")


def test_the_page_size_is_a_setting(client, site, question, authors, settings):
    settings.KNOWLEDGE_ANSWERS_PER_PAGE = 5
    build_thread(question, 12, authors=authors)
    assert (
        answer_ids(client.get(question.get_absolute_url() + "?page=3"))
        == (expected_order(question)[10:])
    )


# --- links land on the right page ----------------------------------------------------------------


def test_posting_an_answer_lands_on_its_page(client, site, question, authors, peer):
    build_thread(question, 45, authors=authors, scores=lambda n: 1 + n % 5)
    client.force_login(peer)
    response = client.post(
        reverse("knowledge:answer", args=[question.pk]), {"body": body_of(999), "action": "post"}
    )
    reply = Answer.objects.get(author=peer)
    # Score 0 and the newest: the last of 46, on the third page.
    assert response["Location"] == f"{question.get_absolute_url()}?page=3#answer-{reply.pk}"
    assert reply.pk in answer_ids(client.get(response["Location"]))


def test_voting_and_accepting_without_script_follow_the_answer(
    client, site, question, authors, asker
):
    answers = build_thread(question, 45, authors=authors, scores=lambda n: 1)
    last = answers[-1]  # score 1 and the newest: the last on page 3
    client.force_login(asker)
    voted = client.post(reverse("knowledge:vote", args=["answer", last.pk]), {"value": "up"})
    # Now the best scored: first on page 1.
    assert voted["Location"] == f"{question.get_absolute_url()}#answer-{last.pk}"
    other = answers[-2]
    accepted = client.post(reverse("knowledge:accept", args=[other.pk]))
    assert accepted["Location"] == f"{question.get_absolute_url()}#answer-{other.pk}"
    assert answer_ids(client.get(question.get_absolute_url()))[:2] == [other.pk, last.pk]
    withdrawn = client.post(reverse("knowledge:accept", args=[other.pk]), {"accepted": "0"})
    assert withdrawn["Location"] == f"{question.get_absolute_url()}?page=3#answer-{other.pk}"


def test_editing_an_answer_returns_to_its_page(client, site, question, authors):
    answers = build_thread(question, 45, authors=authors)
    mine = answers[0]  # score 0, oldest
    client.force_login(mine.author)
    response = client.post(
        reverse("knowledge:edit", args=["answer", mine.pk]),
        {"body": body_of(0) + "\n\n追記しました。", "summary": "追記", "action": "save"},
    )
    page = threads.page_of(mine, mine.author)
    assert page > 1
    assert response["Location"] == (f"{question.get_absolute_url()}?page={page}#answer-{mine.pk}")


def test_reporting_an_answer_or_comment_returns_to_where_it_is(
    client, site, question, authors, peer
):
    answers = build_thread(question, 45, authors=authors, comments_each=1, scores=lambda n: n)
    oldest = answers[0]  # score 0: the last, on page 3
    client.force_login(peer)
    reported = client.post(
        reverse("knowledge:flag", args=["answer", oldest.pk]), {"reason": "spam"}
    )
    assert reported["Location"] == f"{question.get_absolute_url()}?page=3#answer-{oldest.pk}"
    note = oldest.comments.get()
    reported = client.post(reverse("knowledge:flag", args=["comment", note.pk]), {"reason": "spam"})
    assert reported["Location"] == f"{question.get_absolute_url()}?page=3#comment-{note.pk}"


def test_a_notification_opens_the_page_of_its_answer(client, site, question, authors, asker):
    answers = build_thread(question, 45, authors=authors, scores=lambda n: 45 - n)
    target = answers[25]  # 26th by score: page 2
    note = Notification.objects.create(
        recipient=asker, kind=Notification.Kind.ANSWER, question=question, answer=target
    )
    client.force_login(asker)
    response = client.get(reverse("knowledge:open_notification", args=[note.pk]))
    assert response["Location"] == f"{question.get_absolute_url()}?page=2#answer-{target.pk}"
    assert target.pk in answer_ids(client.get(response["Location"]))


def test_an_answers_permanent_address_finds_its_page(client, site, question, authors, moderator):
    answers = build_thread(question, 45, authors=authors, scores=lambda n: 45 - n)
    target = answers[44]
    assert target.get_absolute_url() == f"/questions/answers/{target.pk}/"
    response = client.get(target.get_absolute_url())
    assert response["Location"] == f"{question.get_absolute_url()}?page=3#answer-{target.pk}"
    # Hidden, it leads readers to its question; moderators still to the answer.
    posting.hide(moderator, target)
    assert client.get(target.get_absolute_url())["Location"] == question.get_absolute_url()
    client.force_login(moderator)
    assert client.get(target.get_absolute_url())["Location"].endswith(f"#answer-{target.pk}")
    assert client.get("/questions/answers/999999/").status_code == 404


# --- comments ------------------------------------------------------------------------------------


def test_comments_fold_beyond_three_with_a_link_to_them_all(client, site, question, authors):
    (reply,) = build_thread(question, 1, authors=authors, comments_each=15)
    few = build_thread(question, 1, authors=authors, comments_each=5)
    page = soup(client.get(question.get_absolute_url()))
    block = page.select_one(f"#answer-{reply.pk} .qa-comments")
    shown = block.select(":scope > .qa-comments__list > .qa-comment")
    folded = block.select(".qa-comments__more .qa-comment")
    assert len(shown) == threads.COMMENTS_SHOWN
    assert len(shown) + len(folded) == threads.COMMENTS_RENDERED
    summary = block.select_one(".qa-comments__more > summary").get_text()
    assert summary == "残り12件のコメントを表示"
    link = block.select_one(".qa-comments__all a")
    assert link["href"] == reverse("knowledge:comments", args=["answer", reply.pk])
    # Five comments: three shown, two folded, no link.
    small = page.select_one(f"#answer-{few[0].pk} .qa-comments")
    assert len(small.select(".qa-comments__more .qa-comment")) == 2
    assert not small.select(".qa-comments__all")
    # The comments page has every one of them, oldest first.
    everything = soup(client.get(link["href"]))
    texts = [c.select_one(".pre-line").get_text() for c in everything.select(".qa-comment")]
    assert texts == [f"参考になりました（{i}）" for i in range(15)]


def test_comments_on_the_page_stay_bounded(client, site, question, authors):
    build_thread(question, 25, authors=authors, comments_each=40)
    Comment.objects.bulk_create(
        Comment(
            question=question,
            author=authors[0],
            body=f"質問への補足{i}",
            created_at=question.created_at,
        )
        for i in range(40)
    )
    page = soup(client.get(question.get_absolute_url()))
    # The question and the twenty answers of the page, each with its first ten comments only.
    assert len(page.select(".qa-comment")) == 21 * threads.COMMENTS_RENDERED
    question_block = page.select_one(".qa-question .qa-comments")
    assert "37" in question_block.select_one(".qa-comments__more > summary").get_text()
    assert question_block.select_one(".qa-comments__all a")["href"] == reverse(
        "knowledge:comments", args=["question", question.pk]
    )


def test_a_comment_links_to_where_it_is_in_view(client, site, question, authors, peer):
    answers = build_thread(question, 45, authors=authors, comments_each=5, scores=lambda n: n)
    oldest = answers[0]  # score 0: the last on page 3
    comments = list(oldest.comments.order_by("created_at", "pk"))
    first_url = f"{question.get_absolute_url()}?page=3#comment-{comments[0].pk}"
    assert client.get(comments[0].get_absolute_url())["Location"] == first_url
    later = reverse("knowledge:comments", args=["answer", oldest.pk])
    assert client.get(comments[4].get_absolute_url())["Location"] == (
        f"{later}#comment-{comments[4].pk}"
    )
    # A new comment (the sixth) is shown on the post's comments page.
    client.force_login(peer)
    response = client.post(
        reverse("knowledge:comment", args=["answer", oldest.pk]), {"body": "同じ状況です。"}
    )
    note = Comment.objects.get(author=peer)
    assert response["Location"] == f"{later}#comment-{note.pk}"
    assert f'id="comment-{note.pk}"' in client.get(later).content.decode()


def test_a_refused_comment_comes_back_on_the_page_of_its_answer(
    client, site, question, authors, peer
):
    answers = build_thread(question, 45, authors=authors, scores=lambda n: n)
    oldest = answers[0]
    client.force_login(peer)
    response = client.post(reverse("knowledge:comment", args=["answer", oldest.pk]), {"body": ""})
    assert response.status_code == 200
    assert response.context["page_obj"].number == 3
    assert soup(response).select_one(f"#answer-{oldest.pk} details.qa-comment-form[open]")


# --- JSON-LD -------------------------------------------------------------------------------------


def test_json_ld_is_bounded_and_counts_every_answer(client, site, question, authors):
    answers = build_thread(question, 1000, authors=authors)
    accept(question, answers[7])
    page = soup(client.get(question.get_absolute_url()))
    data = json.loads(page.find("script", type="application/ld+json").string)["mainEntity"]
    assert data["answerCount"] == 1000
    assert data["acceptedAnswer"]["url"].endswith(
        f"{question.get_absolute_url()}#answer-{answers[7].pk}"
    )
    suggested = data["suggestedAnswer"]
    assert len(suggested) == 5
    assert [s["url"].split("#answer-")[1] for s in suggested] == [
        str(pk) for pk in expected_order(question)[1:6]
    ]
    # The structured data describes the question: the first page carries it, not the others.
    later = soup(client.get(question.get_absolute_url() + "?page=2"))
    assert not later.find("script", type="application/ld+json")


def test_a_visitors_first_page_gives_the_structured_data_its_own_answers(
    client, site, question, authors, rf
):
    """The visitor's first page reuses its answers and count for the JSON-LD, which must say
    exactly what the two queries of its own would (schema.qa_page without them)."""
    from django.contrib.auth.models import AnonymousUser

    from knowledge import schema

    answers = build_thread(question, 40, authors=authors)
    accept(question, answers[30])
    question.refresh_from_db()
    page = soup(client.get(question.get_absolute_url()))
    shown = json.loads(page.find("script", type="application/ld+json").string)
    request = rf.get(question.get_absolute_url())
    request.user = AnonymousUser()
    assert shown == json.loads(schema.qa_page(question, request))


# --- queries -------------------------------------------------------------------------------------


def test_queries_are_the_same_for_30_and_300_answers(client, site, question, authors, asker):
    def count_queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(question.get_absolute_url())
        assert response.status_code == 200
        return len(captured.captured_queries)

    client.force_login(asker)  # the asker: accept buttons, own votes, forms everywhere
    answers = build_thread(question, 30, authors=authors, comments_each=4)
    accept(question, answers[2])
    Vote.objects.bulk_create(Vote(user=asker, answer=a, value=1) for a in answers[:10])
    small = count_queries()
    more = build_thread(question, 270, authors=authors, comments_each=12)
    Vote.objects.bulk_create(Vote(user=asker, answer=a, value=-1) for a in more[:100])
    assert question.answers.count() == 300
    assert count_queries() == small


def test_the_comments_page_shows_what_the_reader_may_see(
    client, site, question, answer, newcomer, moderator
):
    mine = posting.comment(newcomer, answer, body="承認待ちのコメントです。")
    url = reverse("knowledge:comments", args=["answer", answer.pk])
    assert f"comment-{mine.pk}" not in client.get(url).content.decode()
    assert client.get(mine.get_absolute_url()).status_code == 404
    client.force_login(newcomer)
    assert f"comment-{mine.pk}" in client.get(url).content.decode()
    assert client.get(mine.get_absolute_url())["Location"].endswith(f"#comment-{mine.pk}")
    # A hidden answer's comments are no one's to read but the moderators'.
    posting.hide(moderator, answer)
    assert client.get(url).status_code == 404
    assert client.get(reverse("knowledge:comments", args=["nothing", answer.pk])).status_code == 404
