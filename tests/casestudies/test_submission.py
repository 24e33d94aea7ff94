"""Officials write cases from the site; moderators approve or request changes in the Wagtail admin;
authors are told; a published case's edits wait for approval while the live version stays."""

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse
from wagtail.models import WorkflowState

from casestudies import submission
from casestudies.models import CaseStudyIndexPage, CaseStudyPage
from tests.factories import MunicipalityFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def index(home_page):
    index = CaseStudyIndexPage(title="事例ライブラリ", slug="cases")
    home_page.add_child(instance=index)
    index.save_revision().publish()
    return index


@pytest.fixture
def author(db):
    return UserFactory(email="author@example.jp")


@pytest.fixture
def moderator(db):
    user = UserFactory(email="moderator@example.jp", is_staff=True)
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


@pytest.fixture
def municipality(db):
    return MunicipalityFactory(name="つくば市")


def basics(municipality, **extra):
    topic = TopicFactory(slug="rpa", name_ja="RPA")
    return {
        "title": "市民税課のRPA",
        "summary": "申告期の時間外を減らすためにRPAを導入した。",
        "municipality": municipality.code,
        "population": "240000",
        "population_source": "住民基本台帳 2018年1月1日",
        "topics": [topic.pk],
        "technologies": "RPA, WinActor",
        "started": "2018-01-01",
        "ended": "2018-04-30",
        "action": "next",
        **extra,
    }


def formset(prefix, rows):
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "12",
    }
    for n, row in enumerate(rows):
        data.update({f"{prefix}-{n}-{k}": v for k, v in row.items()})
    return data


def write_case(client, municipality):
    """The four steps, as an author fills them in."""
    response = client.post(reverse("casestudies:new"), basics(municipality))
    assert response.status_code == 302, response.content.decode()[:3000]
    page = CaseStudyPage.objects.get()
    step = lambda name: reverse("casestudies:edit", args=[page.pk, name])  # noqa: E731
    story = {
        "problem": "申告期に**時間外**が集中する。<script>alert(1)</script>",
        "approach": "5業務にRPAを適用した。",
        "team": "市民税課・情報政策課",
        "partners": "NTTデータ",
        "procurement_route": "demonstration",
        "action": "next",
    }
    assert client.post(step("story"), story).status_code == 302
    outcomes = {
        "figure_status": "published",
        "cost_initial_yen": "",
        "cost_annual_yen": "",
        "action": "next",
        **formset(
            "metrics",
            [
                {
                    "kind": "hours_saved",
                    "name": "市民税課5業務の作業時間",
                    "value": "336.4",
                    "unit": "時間",
                    "baseline": "424h44m",
                    "after": "88h18m",
                    "period": "申告期",
                }
            ],
        ),
    }
    assert client.post(step("outcomes"), outcomes).status_code == 302
    lessons = {
        "lessons": "職員は事前準備と事後確認に回った。",
        "pitfalls": "",
        "action": "save",
        **formset(
            "sources",
            [
                {
                    "title": "つくば市 RPA共同研究報告",
                    "url": "https://www.city.tsukuba.lg.jp/",
                    "retrieved_on": "2026-11-01",
                }
            ],
        ),
    }
    assert client.post(step("lessons"), lessons).status_code == 302
    return CaseStudyPage.objects.get(pk=page.pk)


def approve(client, moderator, page):
    client.force_login(moderator)
    state = page.current_workflow_state
    task_state = state.current_task_state
    url = reverse("wagtailadmin_pages:workflow_action", args=[page.pk, "approve", task_state.pk])
    response = client.post(url, {"comment": ""})
    assert response.status_code in (200, 302), response.content.decode()[:2000]


def request_changes(client, moderator, page, comment):
    client.force_login(moderator)
    task_state = page.current_workflow_state.current_task_state
    url = reverse("wagtailadmin_pages:workflow_action", args=[page.pk, "reject", task_state.pk])
    response = client.post(url, {"comment": comment})
    assert response.status_code in (200, 302), response.content.decode()[:2000]


def status(page):
    return submission.status_of(CaseStudyPage.objects.get(pk=page.pk))


def test_submit_moderate_publish(
    client, index, author, moderator, municipality, django_capture_on_commit_callbacks
):
    client.force_login(author)
    page = write_case(client, municipality)
    assert not page.live and status(page) == "draft"
    assert client.get(page.url or "/cases/" + page.slug + "/").status_code == 404
    assert client.post(reverse("casestudies:submit", args=[page.pk])).status_code == 302
    page.refresh_from_db()
    assert status(page) == "in_moderation"
    with django_capture_on_commit_callbacks(execute=True):
        approve(client, moderator, page)
    page = CaseStudyPage.objects.get(pk=page.pk)
    assert page.live and status(page) == "published"
    assert [m.value for m in page.metrics.all()] == [336.4] or str(
        page.metrics.get().value
    ) == "336.40"
    assert page.hours_saved_per_year is not None
    assert any("Published" in m.subject or "公開" in m.subject for m in mail.outbox)
    client.logout()
    html = client.get(page.url).content.decode()
    assert "<strong>時間外</strong>" in html and "<script>alert(1)" not in html
    assert "住民基本台帳 2018年1月1日" in html


def test_request_changes_notifies_the_author_who_resubmits(
    client, index, author, moderator, municipality, django_capture_on_commit_callbacks
):
    client.force_login(author)
    page = write_case(client, municipality)
    client.post(reverse("casestudies:submit", args=[page.pk]))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        request_changes(client, moderator, page, "費用の出典を追記してください。")
    assert status(page) == "changes_requested"
    sent = [m for m in mail.outbox if author.email in m.to]
    assert sent and "費用の出典を追記してください。" in sent[-1].body
    client.force_login(author)
    mine = client.get(reverse("casestudies:mine")).content.decode()
    assert "費用の出典を追記してください。" in mine
    step = reverse("casestudies:edit", args=[page.pk, "outcomes"])
    client.post(
        step,
        {
            "figure_status": "published",
            "cost_initial_yen": "",
            "cost_annual_yen": "2100000",
            "action": "save",
            **formset(
                "metrics",
                [{"kind": "hours_saved", "name": "作業時間", "value": "336.4", "unit": "時間"}],
            ),
        },
    )
    assert client.post(reverse("casestudies:submit", args=[page.pk])).status_code == 302
    assert status(page) == "in_moderation"
    approve(client, moderator, page)
    assert CaseStudyPage.objects.get(pk=page.pk).cost_annual_yen == 2100000


def test_editing_a_published_case_keeps_the_live_version_until_approval(
    client, index, author, moderator, municipality
):
    client.force_login(author)
    page = write_case(client, municipality)
    client.post(reverse("casestudies:submit", args=[page.pk]))
    approve(client, moderator, page)
    client.force_login(author)
    data = basics(municipality, title="市民税課のRPA（改訂）", action="save")
    assert (
        client.post(reverse("casestudies:edit", args=[page.pk, "basics"]), data).status_code == 302
    )
    client.post(reverse("casestudies:submit", args=[page.pk]))
    client.logout()
    live = CaseStudyPage.objects.get(pk=page.pk)
    assert live.title == "市民税課のRPA" and live.draft_title == "市民税課のRPA（改訂）"
    assert "市民税課のRPA（改訂）" not in client.get(live.url).content.decode()
    approve(client, moderator, live)
    assert CaseStudyPage.objects.get(pk=page.pk).title == "市民税課のRPA（改訂）"


def test_drafts_are_seen_by_their_authors_and_moderators_only(
    client, index, author, moderator, municipality
):
    client.force_login(author)
    page = write_case(client, municipality)
    preview = reverse("casestudies:preview", args=[page.pk])
    assert client.get(preview).status_code == 200
    client.force_login(UserFactory())
    assert client.get(preview).status_code == 404
    client.logout()
    assert client.get(preview).status_code == 404
    client.force_login(moderator)
    assert client.get(preview).status_code == 200


def test_nobody_edits_or_submits_another_authors_case(client, index, author, municipality):
    client.force_login(author)
    page = write_case(client, municipality)
    client.force_login(UserFactory(email="other@example.jp"))
    edit = reverse("casestudies:edit", args=[page.pk, "basics"])
    assert client.get(edit).status_code == 404
    assert client.post(edit, basics(municipality, title="乗っ取り")).status_code == 404
    assert client.post(reverse("casestudies:submit", args=[page.pk])).status_code == 404
    assert CaseStudyPage.objects.get(pk=page.pk).draft_title == "市民税課のRPA"
    assert not WorkflowState.objects.exists()


def test_an_incomplete_case_cannot_be_submitted(client, index, author, municipality):
    client.force_login(author)
    client.post(reverse("casestudies:new"), basics(municipality))
    page = CaseStudyPage.objects.get()
    response = client.post(reverse("casestudies:submit", args=[page.pk]), follow=True)
    assert not WorkflowState.objects.exists()
    assert response.status_code == 200


def test_bad_input_is_explained_and_nothing_is_lost(client, index, author, municipality):
    client.force_login(author)
    response = client.post(
        reverse("casestudies:new"),
        basics(municipality, started="2019-01-01", ended="2018-01-01", population="abc"),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html and "市民税課のRPA" in html  # what was typed is still there
    assert not CaseStudyPage.objects.exists()


def test_markdown_preview_is_sanitised(client, author):
    client.force_login(author)
    response = client.post(
        reverse("casestudies:markdown_preview"),
        {"text": "**太字** <img src=x onerror=alert(1)> [a](javascript:alert(1))"},
    )
    html = response.content.decode()
    assert "<strong>太字</strong>" in html
    assert "onerror" not in html and "javascript:" not in html


def test_we_did_this_too(client, index, author, moderator, municipality):
    client.force_login(author)
    page = write_case(client, municipality)
    client.post(reverse("casestudies:submit", args=[page.pk]))
    approve(client, moderator, page)
    peer = UserFactory()
    client.force_login(peer)
    url = reverse("casestudies:replicate", args=[page.pk])
    client.post(url)
    client.post(url)  # twice: counted once
    page = CaseStudyPage.objects.get(pk=page.pk)
    assert page.replications.count() == 1
    assert "1" in client.get(page.url).content.decode()
    client.post(url, {"undo": "1"})
    assert page.replications.count() == 0


def test_no_edits_while_in_moderation(client, index, author, municipality):
    client.force_login(author)
    page = write_case(client, municipality)
    client.post(reverse("casestudies:submit", args=[page.pk]))
    data = basics(municipality, title="審査中に差し替え", action="save")
    response = client.post(reverse("casestudies:edit", args=[page.pk, "basics"]), data)
    assert response.status_code == 302
    assert CaseStudyPage.objects.get(pk=page.pk).draft_title == "市民税課のRPA"


def test_saving_a_step_keeps_the_rows_already_there(client, index, author, municipality):
    client.force_login(author)
    page = write_case(client, municipality)
    metric = {
        "kind": "hours_saved",
        "name": "市民税課5業務の作業時間",
        "value": "336.40",
        "unit": "時間",
        "baseline": "424h44m",
        "after": "88h18m",
        "period": "申告期",
    }
    data = {
        "figure_status": "published",
        "cost_initial_yen": "500000",
        "cost_annual_yen": "",
        "action": "save",
        **formset("metrics", [metric, dict.fromkeys(metric, "") | {"kind": "other"}]),
    }
    data["metrics-INITIAL_FORMS"] = "1"
    url = reverse("casestudies:edit", args=[page.pk, "outcomes"])
    assert client.post(url, data).status_code == 302
    latest = submission.latest(CaseStudyPage.objects.get(pk=page.pk))
    assert latest.cost_initial_yen == 500000
    assert [m.name for m in latest.metrics.all()] == ["市民税課5業務の作業時間"]


def test_undo_without_a_mark_adds_nothing(client, index, author, moderator, municipality):
    client.force_login(author)
    page = write_case(client, municipality)
    client.post(reverse("casestudies:submit", args=[page.pk]))
    approve(client, moderator, page)
    client.force_login(UserFactory())
    client.post(reverse("casestudies:replicate", args=[page.pk]), {"undo": "1"})
    assert CaseStudyPage.objects.get(pk=page.pk).replications.count() == 0


def test_returning_to_step_one_keeps_the_municipality(client, index, author, municipality):
    """Step 1 of a saved case shows its municipality selected, and saving it untouched keeps
    every field (it used to fail with "this field is required" on every return)."""
    from tests.browser_forms import form_data

    MunicipalityFactory(name="別の市")
    client.force_login(author)
    page = write_case(client, municipality)
    url = reverse("casestudies:edit", args=[page.pk, "basics"])
    fields = ["title", "summary", "municipality", "population", "population_source"]
    fields += ["technologies", "started", "ended"]
    before = submission.latest(page)

    data = form_data(client.get(url).content)
    assert data["municipality"] == [municipality.code]
    response = client.post(url, {**data, "action": "save"})

    assert response.status_code == 302
    after = submission.latest(CaseStudyPage.objects.get(pk=page.pk))
    assert [getattr(after, f) for f in fields] == [getattr(before, f) for f in fields]
    assert list(after.topics.all()) == list(before.topics.all())


def test_a_new_case_gets_a_readable_unique_address(client, index, author, municipality):
    client.force_login(author)
    for _ in range(2):
        data = basics(municipality, title="窓口のキャッシュレス化", action="save")
        assert client.post(reverse("casestudies:new"), data).status_code == 302
    slugs = list(CaseStudyPage.objects.order_by("pk").values_list("slug", flat=True))
    assert slugs == ["madoguchi-no-kyasshuresu-ka", "madoguchi-no-kyasshuresu-ka-2"]


def test_one_japanese_email_per_moderation_event(
    client, index, author, moderator, municipality, django_capture_on_commit_callbacks
):
    """Submitting reaches each moderator and superuser once; approving reaches the author once,
    with the case library's own e-mail, not Wagtail's as well; all in Japanese, whatever
    language the moderator's admin was in."""
    from django.utils import translation

    admin = UserFactory(email="admin@example.jp", is_superuser=True, is_staff=True)
    client.force_login(author)
    page = write_case(client, municipality)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), translation.override("en"):
        client.post(reverse("casestudies:submit", args=[page.pk]))
    assert sorted(m.to[0] for m in mail.outbox) == [admin.email, moderator.email]
    assert all(m.subject == "審査依頼:「市民税課のRPA」" for m in mail.outbox)
    body = mail.outbox[0].body
    assert "「市民税課のRPA」が審査（Moderators approval）に提出されました。" in body
    assert f"http://testserver/admin/pages/{page.pk}/edit/" in body

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        approve(client, moderator, page)
    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([author.email], "公開されました: 「市民税課のRPA」")
    ]
