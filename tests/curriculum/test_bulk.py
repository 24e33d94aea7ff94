"""Administrators enrol many learners at once: by municipality, by prefecture, from a CSV."""

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from curriculum.models import Enrolment
from tests.factories import MunicipalityFactory, PrefectureFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = UserFactory(email="kenshu@example.jp")
    user.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="add_enrolment"),
    )
    client.force_login(user)
    return client


@pytest.fixture
def people():
    tokyo = PrefectureFactory(code="13", name="東京都")
    shinjuku, hachioji = (
        MunicipalityFactory(prefecture=tokyo, name="新宿区"),
        MunicipalityFactory(prefecture=tokyo, name="八王子市"),
    )
    users = {}
    for email, municipality in [
        ("a@example.jp", shinjuku),
        ("b@example.jp", shinjuku),
        ("c@example.jp", hachioji),
    ]:
        users[email] = UserFactory(email=email)
        users[email].profile.municipality = municipality
        users[email].profile.save()
    return {"tokyo": tokyo, "shinjuku": shinjuku, "users": users}


def post(client, **data):
    return client.post(reverse("bulk_enrol"), data)


def test_by_municipality_then_prefecture_counts_who_already_was(admin_client, course, people):
    html = post(admin_client, course=course.pk, municipality=people["shinjuku"].pk).content.decode()
    assert "2 人を受講登録しました" in html
    assert Enrolment.objects.filter(course=course, source="admin").count() == 2
    html = post(admin_client, course=course.pk, prefecture=people["tokyo"].pk).content.decode()
    assert "1 人を受講登録しました。2 人はすでに登録済みでした" in html


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp932"])
def test_from_a_csv_of_addresses_in_any_usual_encoding(admin_client, course, people, encoding):
    text = "氏名,メール\n新宿 太郎,A@example.jp\n不明 花子,nobody@example.jp\n"
    upload = SimpleUploadedFile("list.csv", text.encode(encoding), content_type="text/csv")
    html = post(admin_client, course=course.pk, addresses=upload).content.decode()
    assert "1 人を受講登録しました" in html
    assert "nobody@example.jp" in html  # reported, not silently dropped
    assert list(Enrolment.objects.values_list("user__email", flat=True)) == ["a@example.jp"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"a@example.jp\x82\x00\xff", "UTF-8 でも Shift_JIS でもありません"),
        ("氏名だけ\n".encode(), "メールアドレスが見つかりません"),
    ],
)
def test_bad_files_get_a_clear_message_and_enrol_nobody(admin_client, course, content, message):
    upload = SimpleUploadedFile("list.csv", content, content_type="text/csv")
    response = post(admin_client, course=course.pk, addresses=upload)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Enrolment.objects.exists()


def test_exactly_one_source_is_needed(admin_client, course, people):
    html = post(admin_client, course=course.pk).content.decode()
    assert "いずれか1つを選んでください" in html


def test_only_staff_with_the_permission(client, course, people):
    client.force_login(UserFactory(email="someone@example.jp"))
    post(client, course=course.pk, municipality=people["shinjuku"].pk)
    assert not Enrolment.objects.exists()
