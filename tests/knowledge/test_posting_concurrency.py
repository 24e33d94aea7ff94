"""Votes cast at the same moment all count. Run on PostgreSQL (CI's second run): SQLite
serialises writers, so it cannot show a lost update."""

import threading

import pytest
from django.db import connection, connections
from django.db.models import Sum
from django.utils import timezone

from knowledge import posting
from knowledge.models import Answer, Question, Vote

from .conftest import make_member


def run_at_once(jobs):
    barrier = threading.Barrier(len(jobs))
    errors = []

    def work(job):
        try:
            barrier.wait()
            job()
        except Exception as error:  # reported below, with the others
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.fixture
def target(transactional_db, django_db_serialized_rollback):
    # serialized_rollback: the flush afterwards must not recreate content types under new ids,
    # which later serialized tests (tests/test_migrations.py) could not load over.
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (set DATABASE_URL; CI runs it)")
    asker, answerer = make_member("質問者"), make_member("回答者")
    now = timezone.now()
    question = Question.objects.create(
        title="同時投票の確認", body="本文", author=asker, created_at=now, last_activity_at=now
    )
    return Answer.objects.create(question=question, body="回答", author=answerer, created_at=now)


def test_fifty_concurrent_votes_give_the_exact_total(target):
    voters = [make_member(f"投票者{n}") for n in range(50)]
    values = [Vote.UP] * 35 + [Vote.DOWN] * 15
    errors = run_at_once(
        [lambda u=u, v=v: posting.vote(u, target, v) for u, v in zip(voters, values, strict=True)]
    )
    assert errors == []
    target.refresh_from_db()
    assert Vote.objects.filter(answer=target).count() == 50
    assert target.score == 35 - 15


def test_one_member_clicking_many_times_at_once_leaves_a_consistent_score(target):
    voter = make_member("連打する人")
    errors = run_at_once([lambda: posting.vote(voter, target, Vote.UP) for _ in range(10)])
    assert errors == []
    target.refresh_from_db()
    votes = Vote.objects.filter(answer=target)
    assert votes.count() <= 1
    assert target.score == (votes.aggregate(total=Sum("value"))["total"] or 0)
