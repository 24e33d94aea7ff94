"""Learning records as xAPI statements, valid against the xAPI 1.0.2 schema."""

import json
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.http import QueryDict
from django.urls import reverse

from curriculum import progress as learning
from curriculum import quizzes, xapi
from curriculum.models import Choice, LessonPage, Quiz, QuizItem, QuizQuestion
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SCHEMA = Path(__file__).resolve().parents[3] / "shared/data/xapi/edo-xrs-schema/statement.json"


@pytest.fixture
def validator():
    if not SCHEMA.exists():
        pytest.skip(f"the xAPI schema is not there: {SCHEMA} (../shared/data/xapi)")
    from jsonschema import Draft4Validator

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema)


@pytest.fixture
def records(course):
    """A learner who enrolled, finished the course and passed its quiz; another who failed."""
    question = QuizItem(kind="true_false", text="CIOは副市長などが望ましい", true_false_answer=True)
    question.choices = []
    question.save()
    choice_question = QuizItem(kind="single", text="Step2は")
    choice_question.choices = [Choice(text="推進体制の整備", correct=True)]
    choice_question.save()
    quiz = Quiz(title="確認テスト", pass_mark=50, shuffle=False)
    quiz.quiz_questions = [QuizQuestion(question=question), QuizQuestion(question=choice_question)]
    quiz.save()
    lesson = LessonPage.objects.get(slug="steps")
    lesson.quiz = quiz
    lesson.save_revision().publish()
    lesson = LessonPage.objects.get(pk=lesson.pk)

    passer, failer = UserFactory(email="passer@example.jp"), UserFactory(email="failer@example.jp")
    for user in (passer, failer):
        learning.enrol(user, course)
    learning.complete_lesson(passer, LessonPage.objects.get(slug="seven"))
    answers = QueryDict(mutable=True)
    answers[f"q-{question.pk}"] = "true"
    quizzes.submit_attempt(quizzes.start_attempt(passer, lesson), answers)
    quizzes.submit_attempt(quizzes.start_attempt(failer, lesson), QueryDict())
    return passer, failer


def test_statements_validate_and_cover_every_record(records, validator):
    passer, _failer = records
    statements = list(xapi.statements())
    for statement in statements:
        errors = sorted(validator.iter_errors(statement), key=str)
        assert not errors, (statement, [e.message for e in errors])
    verbs = [s["verb"]["display"]["en-US"] for s in statements]
    # 2 enrolments, 1 course completion, 2 lessons completed (one by the quiz), 2 attempts.
    assert sorted(verbs) == sorted(
        ["registered", "registered", "completed", "completed", "completed", "passed", "failed"]
    )
    passed = next(s for s in statements if s["verb"]["display"]["en-US"] == "passed")
    assert passed["result"]["score"] == {"scaled": 0.5, "raw": 50, "min": 0, "max": 100}
    assert passed["actor"]["account"]["name"] == str(passer.pk)
    assert "mbox" not in passed["actor"] and "passer@example.jp" not in json.dumps(statements)
    assert [s["id"] for s in xapi.statements()] == [s["id"] for s in statements]  # stable


def test_the_spec_examples_pass_the_same_validator(validator):
    """The validator itself: ADL's own examples validate (so ours are checked for real)."""
    examples = SCHEMA.parents[1] / "adlnet-spec-examples/xAPI-Data-statement-examples.json"
    data = json.loads(examples.read_text(encoding="utf-8"))
    statements = data if isinstance(data, list) else list(data.values())
    simple = [s for s in statements if isinstance(s, dict) and "actor" in s]
    assert simple
    assert any(validator.is_valid(s) for s in simple)
    assert not validator.is_valid({"verb": {"id": "http://adlnet.gov/expapi/verbs/completed"}})


def test_learners_download_their_own_records_only(client, records):
    _passer, failer = records
    client.force_login(failer)
    response = client.get(reverse("curriculum:my_statements"))
    assert response["X-Experience-API-Version"] == "1.0.2"
    actors = {s["actor"]["account"]["name"] for s in response.json()["statements"]}
    assert actors == {str(failer.pk)}
    assert client.get(reverse("curriculum:all_statements")).status_code == 403


def test_staff_with_the_permission_download_everyones(client, records):
    staff = UserFactory(email="staff@example.jp")
    staff.user_permissions.add(Permission.objects.get(codename="view_enrolment"))
    client.force_login(staff)
    statements = client.get(reverse("curriculum:all_statements")).json()["statements"]
    assert len({s["actor"]["account"]["name"] for s in statements}) == 2
    client.logout()
    assert client.get(reverse("curriculum:all_statements")).status_code == 302
