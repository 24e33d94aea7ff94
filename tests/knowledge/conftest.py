"""Members of the knowledge base and a way to write posts as they would."""

import pytest
from django.contrib.auth.models import Group
from django.utils import translation

from knowledge import posting
from knowledge.models import Member
from tests.factories import MunicipalityFactory, TopicFactory, UserFactory


@pytest.fixture(autouse=True)
def japanese_after_each_test():
    yield
    translation.activate("ja")


def make_member(name, *, public=True, open_to_questions=False, trusted=True, **kwargs):
    user = UserFactory(**kwargs)
    profile = user.profile
    profile.display_name = name
    profile.is_public = public
    profile.open_to_questions = open_to_questions
    profile.municipality = MunicipalityFactory()
    profile.save()
    if trusted:
        Member.objects.update_or_create(user=user, defaults={"approved_posts": 10})
    return user


@pytest.fixture
def asker(db):
    return make_member("山田 花子")


@pytest.fixture
def answerer(db):
    return make_member("佐藤 健一")


@pytest.fixture
def peer(db):
    return make_member("高橋 誠")


@pytest.fixture
def newcomer(db):
    return make_member("新人 太郎", trusted=False)


@pytest.fixture
def moderator(db):
    user = make_member("鈴木 真理")
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


@pytest.fixture
def topic(db):
    return TopicFactory(slug="rpa", name_ja="RPA", name_en="RPA")


@pytest.fixture
def question(asker, topic):
    return posting.ask(
        asker,
        title="RPAに向く業務の見分け方は？",
        body="人口3万人の町です。RPAを入れる業務をどう選べばよいでしょうか。",
        topics=[topic],
    )


@pytest.fixture
def answer(question, answerer):
    return posting.answer(
        answerer,
        question,
        body="大量・定型・ルールが明確で、入力先のシステムが安定している業務が向いています。",
    )
