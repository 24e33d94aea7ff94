"""The case library's part in credentials and career paths.

- Published case studies count towards the credential rules that ask for them (CredentialRule
  kind "case_studies"): an author's live, public cases, and publishing one re-evaluates the
  authors' credentials at once.
- The career path's reading: for a competency area with a gap, case studies on the topics of the
  courses that build that area, those that saved the most hours first.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.dispatch import receiver
from wagtail.models import Locale
from wagtail.signals import page_published

from curriculum.careers.paths import READINGS_PER_GAP, Reading, register_reading_source
from curriculum.credentials.rules import Evidence, register_counter
from curriculum.credentials.signals import contribution_recorded
from curriculum.models import CourseCompetency

from .models import CaseStudyPage

SUMMARY_CHARS = 80


def _published_by(user):
    # The ids first (one UNION on two indexed columns): asked as "authored or owned" in one
    # filter, PostgreSQL walks every live page to test the OR.
    authored = CaseStudyPage.authors.through.objects.filter(user=user).values_list(
        "casestudypage_id", flat=True
    )
    owned = CaseStudyPage.objects.filter(owner=user).order_by().values_list("pk", flat=True)
    ids = set(authored.order_by().union(owned))
    return CaseStudyPage.objects.live().public().filter(pk__in=ids)


def published_case_studies(user) -> list[Evidence]:
    cases = _published_by(user).order_by("first_published_at", "pk")
    return [
        Evidence(
            # Evidence is written in the credential's language, Japanese, as for courses.
            name=f"公開した事例: {case.title}",
            url=case.url or "",
            date=case.first_published_at.isoformat() if case.first_published_at else "",
        )
        for case in cases
    ]


register_counter("case_studies", published_case_studies, _published_by)


@receiver(page_published, sender=CaseStudyPage)
def count_the_published_case(sender, instance, **kwargs):
    author_ids = {*instance.authors.values_list("pk", flat=True), instance.owner_id} - {None}
    for user in get_user_model().objects.filter(pk__in=author_ids, is_active=True):
        contribution_recorded.send(sender=CaseStudyPage, user=user, kind="case_studies")


@register_reading_source
def case_studies_to_read(competencies: Sequence) -> dict[int, list[Reading]]:
    """Three queries for every area at once: the topics of the courses that build each area,
    the best cases of each of those topics, and those cases."""
    default = Locale.get_default()
    topics_of: dict[int, set[int]] = {}
    for competency_id, topic_id in CourseCompetency.objects.filter(
        competency__in=competencies, page__live=True, page__locale=default
    ).values_list("competency_id", "page__topics"):
        if topic_id is not None:
            topics_of.setdefault(competency_id, set()).add(topic_id)
    wanted = set().union(*topics_of.values()) if topics_of else set()
    if not wanted:
        return {}
    # The best few cases of each topic (a window over the topic links): a competency's best
    # cases are each among the best of one of its topics, so no case is fetched in vain.
    readable = CaseStudyPage.objects.live().public().filter(locale=default)
    best_first = [
        F("casestudypage__hours_saved_per_year").desc(nulls_last=True),
        F("casestudypage__first_published_at").desc(nulls_last=True),
        F("casestudypage_id").asc(),
    ]
    links = list(
        CaseStudyPage.topics.through.objects.filter(topic_id__in=wanted, casestudypage__in=readable)
        .annotate(rank=Window(RowNumber(), partition_by=F("topic_id"), order_by=best_first))
        .filter(rank__lte=READINGS_PER_GAP)
        .values_list("casestudypage_id", "topic_id")
    )
    cases = {case.pk: case for case in readable.filter(pk__in={c for c, _t in links})}
    order = sorted(
        cases.values(),
        key=lambda c: (
            -(c.hours_saved_per_year or -1),
            -(c.first_published_at.timestamp() if c.first_published_at else 0),
            c.pk,
        ),
    )
    case_topics: dict[int, set[int]] = {}
    for case_id, topic_id in links:
        case_topics.setdefault(case_id, set()).add(topic_id)
    return {
        competency_id: [
            Reading(title=case.title, url=case.url or "", summary=_short(case.summary))
            for case in order
            if case_topics.get(case.pk, set()) & topics
        ][:READINGS_PER_GAP]
        for competency_id, topics in topics_of.items()
    }


def _short(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"
