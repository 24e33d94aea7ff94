"""Demo submissions in each moderation state, by the contributor persona: a draft, one waiting
for the moderator, and one returned with a comment. Idempotent (by title)."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model

from people.models import Municipality

from . import submission
from .models import CaseStudyIndexPage, CaseStudyPage, Metric, Source

CONTRIBUTOR = "contributor@example.jp"
MODERATOR = "moderator@example.jp"

SUBMISSIONS = [
    {
        "state": "draft",
        "title": "ペーパーレス会議の全庁展開（下書き）",
        "summary": "庁議と部長会議の資料をタブレット配信に切り替えた。印刷枚数の削減効果を集計中。",
        "problem": "会議資料の印刷・差し替えに、担当課が毎回半日を使っていた。",
        "approach": "",
        "figure_status": "illustrative",
    },
    {
        "state": "in_moderation",
        "title": "電子申請の利用率を上げた窓口案内",
        "summary": (
            "窓口で電子申請を案内するチラシと二次元コードを整え、対象手続の電子申請率を上げた。"
            "〔例示〕"
        ),
        "problem": "電子申請を用意しても、住民に知られず利用が伸びなかった。",
        "approach": "窓口・広報・ウェブで**同じ案内**を出し、手続ごとに二次元コードを付けた。",
        "figure_status": "illustrative",
    },
    {
        "state": "changes_requested",
        "title": "住基・税データ連携の手作業を減らした",
        "summary": "住民基本台帳と税の間の異動データ連携で、手入力をCSV取込に置き換えた。〔例示〕",
        "problem": "異動のたびに税側で手入力しており、入力漏れが出ていた。",
        "approach": "既存システムのCSV出力を使い、取込手順を標準化した。",
        "figure_status": "estimate",
        "metrics": [("hours_saved", "異動データ入力の作業時間", "120", "時間", "年間")],
        "comment": "推計の根拠（件数×1件あたりの時間）を本文に追記してください。",
    },
]


def load_demo_submissions() -> None:
    user_model = get_user_model()
    author = user_model.objects.filter(email=CONTRIBUTOR).first()
    moderator = user_model.objects.filter(email=MODERATOR).first()
    index = CaseStudyIndexPage.objects.filter(locale__language_code="ja").first()
    municipality = (
        author.profile.municipality if author and author.profile.municipality_id else None
    ) or Municipality.objects.order_by("code").first()
    if not (author and index and municipality):
        return
    for item in SUBMISSIONS:
        if CaseStudyPage.objects.filter(title=item["title"]).exists():
            continue
        page = CaseStudyPage(
            title=item["title"],
            slug=f"demo-submission-{SUBMISSIONS.index(item) + 1}",
            summary=item["summary"],
            municipality=municipality,
            problem=item["problem"],
            approach=item["approach"],
            figure_status=item["figure_status"],
            metrics=[
                Metric(kind=kind, name=name, value=value, unit=unit, period=period)
                for kind, name, value, unit, period in item.get("metrics", [])
            ],
            sources=[
                Source(
                    title="庁内資料（デモ）",
                    url="https://example.jp/",
                    retrieved_on=datetime.date(2026, 11, 1),
                )
            ],
        )
        submission.save_draft(author, index, page)
        if item["state"] == "draft":
            continue
        state = submission.submit(author, page)
        if item["state"] == "changes_requested" and moderator:
            state.current_task_state.reject(user=moderator, comment=item["comment"])
