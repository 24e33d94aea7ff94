"""Display names cannot impersonate (issue 19, item 7): the site's own labels and role words,
control and bidirectional characters and look-alikes of other members' names are refused; the
anonymous asker and staff carry a badge outside the name, which no name can draw."""

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import translation

from knowledge import posting
from people.forms import ProfileForm, SignupForm
from tests.factories import UserFactory
from tests.knowledge.conftest import make_member

pytestmark = pytest.mark.django_db


def errors_for(name, user=None):
    user = user or UserFactory()
    form = ProfileForm({"display_name": name}, instance=user.profile)
    with translation.override("en"):
        form.is_valid()
        return [str(e) for e in form.errors.get("display_name", [])]


@pytest.mark.parametrize(
    "name",
    [
        "質問者（匿名）",
        "質問者(匿名)",
        "質問者 （匿名）",
        "匿名",
        "匿名希望",
        "管理者",
        "管理者の田中",
        "管 理 者",
        "ＭＯＤＥＲＡＴＯＲ",
        "モデレーター",
        "モデレ一タ一",  # 一 (the kanji for one) for ー
        "退会したメンバー",
        "メンバー",
        "事務局",
        "運営 山田",
        "Anonymous",
        "The asker (anonymous)",
        "Former member",
        "аdmin",  # Cyrillic а
        "Admin 太郎",
        "Site staff",
        "Moderator",
    ],
)
def test_reserved_labels_and_roles_are_refused(name):
    errors = errors_for(name)
    assert errors and "keeps for its own labels or roles" in errors[0], (name, errors)


@pytest.mark.parametrize(
    "name",
    [
        "山田\u202e郎太",  # right-to-left override
        "山田\u2067太郎\u2069",  # an isolate
        "山田\u200b太郎",  # zero-width space
        "山田\u200d太郎",
        "山田\ue000太郎",  # private use
    ],
)
def test_control_and_bidi_characters_are_refused(name):
    errors = errors_for(name)
    assert errors and "invisible or control character" in errors[0], (name, errors)


@pytest.mark.parametrize(
    "name",
    ["山田 太郎", "田中たろう", "タカハシ", "Badminton club", "高橋 誠（RPA担当）", "Taro Yamada"],
)
def test_ordinary_names_pass(name):
    assert errors_for(name) == []


def test_look_alikes_of_another_member_are_refused_but_namesakes_are_not():
    make_member("タカハシ")
    assert "looks the same as another member" in errors_for("タ力ハシ")[0]  # 力 for カ
    make_member("Sato Kenichi")
    assert "looks the same" in errors_for("Satо Kenichi")[0]  # Cyrillic о
    assert errors_for("Sato Kenichi") == []  # a namesake: their profiles tell them apart
    assert errors_for("タカハシ") == []


def test_a_staff_members_or_moderators_name_cannot_be_copied():
    moderator = make_member("鈴木 真理")
    moderator.groups.add(Group.objects.get(name="Moderators"))
    assert "looks the same" in errors_for("鈴木 真理")[0]
    assert "looks the same" in errors_for("鈴木　真理")[0]  # an ideographic space
    # The moderator keeps their own name.
    assert errors_for("鈴木 真理", user=moderator) == []


def test_sign_up_refuses_them_too():
    form = SignupForm({"display_name": "管理者", "job_title": ""})
    form.is_valid()
    assert "display_name" in form.errors


def test_staff_and_the_anonymous_asker_are_marked_by_a_badge(client):
    asker = make_member("山田 花子")
    moderator = make_member("鈴木 真理")
    moderator.groups.add(Group.objects.get(name="Moderators"))
    question = posting.ask(
        asker, title="インシデント初動の相談", body="匿名で相談します。", anonymous=True
    )
    posting.answer(moderator, question, body="まず連絡体制を確認してください。詳しく説明します。")
    client.force_login(make_member("閲覧者"))
    page = BeautifulSoup(
        client.get(reverse("knowledge:question", args=[question.pk])).content, "html.parser"
    )
    role = page.select_one(".qa-badge--role")
    assert role is not None and role.get_text() == "モデレーター"
    assert role.find_parent(class_="qa-byline").find("a").get_text() == "鈴木 真理"
    anonymous = page.select_one(".qa-badge--anonymous")
    assert anonymous is not None and anonymous.get_text() == "匿名"


def test_a_member_who_holds_a_role_may_name_it_but_not_pose_as_anonymous():
    admin = UserFactory(is_staff=True, is_superuser=True)
    assert errors_for("サイト管理者", user=admin) == []
    assert "keeps for its own labels" in errors_for("匿名", user=admin)[0]
    assert "keeps for its own labels" in errors_for("サイト管理者")[0]
