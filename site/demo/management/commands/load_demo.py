"""Demo content for a fresh site: municipalities, topics, the home and about pages in Japanese and
English, the demo curriculum, and one account per persona at some stage of it. Each app provides
its own part (its demo module and fixtures); this command loads them in order and creates the
personas, who span the apps. Idempotent: what exists is left as it is."""

import logging
import os

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from casestudies.demo import load_case_studies
from casestudies.demo_submissions import load_demo_submissions
from core.demo import load_pages, load_topics
from core.models import Topic
from curriculum.credentials import awarding
from curriculum.credentials.demo import (
    award_demo_contributors,
    award_demo_learners,
    load_credentials,
    public_award_url,
)
from curriculum.credentials.models import OrganisationReporter
from curriculum.demo import load_course_run, load_curriculum, load_learning
from knowledge.demo import load_questions
from knowledge.importing import load_glossary, summary
from people.models import Municipality
from search.demo import load_synonyms
from search.indexing import index_updates_deferred
from talent.demo import RECRUITERS_GROUP, load_talent, recruiters_group

DEFAULT_DEMO_PASSWORD = "cio-demo-2026"

PERSONAS = [
    {
        "key": "learner",
        "email": "learner@example.jp",
        "display_name": "山田 花子",
        "municipality": "343021",  # 広島県 府中町
        "department": "総務課 情報政策係",
        "job_title": "主事",
        "expertise": ["e-application"],
        "is_public": True,
        "open_to_questions": False,
        "label": "受講者 (learner)",
    },
    {
        "key": "contributor",
        "email": "contributor@example.jp",
        "display_name": "佐藤 健一",
        "municipality": "082201",  # 茨城県 つくば市
        "department": "政策イノベーション部 情報政策課",
        "job_title": "係長",
        "expertise": ["rpa", "ai-ocr", "bpr"],
        "is_public": True,
        "open_to_questions": True,
        "label": "投稿者 (contributor)",
    },
    {
        "key": "moderator",
        "email": "moderator@example.jp",
        "display_name": "鈴木 真理",
        "municipality": "380008",  # 愛媛県
        "department": "デジタル戦略局",
        "job_title": "CIO補佐官",
        "expertise": ["talent-development", "dx-governance", "procurement"],
        "is_public": True,
        "open_to_questions": True,
        # Also 愛媛県's recruiter: sees the prefecture's talent pool and every need in it.
        "groups": ["Moderators", RECRUITERS_GROUP],
        "reports_for": "380008",
        "label": "モデレーター (moderator)",
    },
    {
        "key": "trainer",
        "email": "trainer@example.jp",
        "display_name": "中村 直子",
        "municipality": "340006",  # 広島県
        "department": "総務局 デジタル推進課",
        "job_title": "研修担当",
        "expertise": ["talent-development"],
        "is_public": False,
        "open_to_questions": False,
        # Opens the prefecture's course runs and follows their learners (Reports).
        "groups": ["Training staff"],
        "reports_for": "340006",
        "label": "県の研修担当 (training staff)",
    },
    {
        "key": "recruiter",
        "email": "recruiter@example.jp",
        "display_name": "村上 亮",
        "municipality": "382043",  # 愛媛県 八幡浜市
        "department": "政策推進課 デジタル推進係",
        "job_title": "係長",
        "expertise": ["talent-development"],
        "is_public": False,
        "open_to_questions": False,
        # Posts 八幡浜市's needs in 愛媛県's talent pool and contacts its candidates.
        "groups": [RECRUITERS_GROUP],
        "reports_for": "382043",
        "label": "市の人材募集担当 (talent recruiter)",
    },
    {
        "key": "admin",
        "email": "admin@example.jp",
        "display_name": "サイト管理者",
        "municipality": None,
        "department": "",
        "job_title": "",
        "expertise": [],
        "is_public": False,
        "open_to_questions": False,
        "superuser": True,
        "label": "管理者 (admin)",
    },
]


# A prefecture's or municipality's training staff: they enter the admin, open and edit their
# organisation's course runs (runs.organisers_for limits them to it), enrol learners and follow
# their organisation's learning (the organisation reports, scoped by OrganisationReporter).
TRAINING_STAFF_PERMISSIONS = [
    ("wagtailadmin", "access_admin"),
    ("curriculum", "add_courserun"),
    ("curriculum", "change_courserun"),
    ("curriculum", "delete_courserun"),
    ("curriculum", "view_courserun"),
    ("curriculum", "add_enrolment"),
    ("credentials", "view_organisation_report"),
]


def training_staff_group() -> Group:
    group, _created = Group.objects.get_or_create(name="Training staff")
    wanted = Q()
    for app_label, codename in TRAINING_STAFF_PERMISSIONS:
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    group.permissions.add(*Permission.objects.filter(wanted))
    return group


class Command(BaseCommand):
    help = "Loads demo content and one account per persona. Safe to run more than once."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Allow demo accounts with a known password on a production settings module.",
        )

    def handle(self, *args, allow_production=False, **options):
        if getattr(settings, "PRODUCTION", False) and not allow_production:
            raise CommandError(
                "load_demo creates accounts with a known password; "
                "pass --allow-production to do that on a production site."
            )
        call_command("import_municipalities", stdout=self.stdout)
        # Wagtail logs every page created and published: hundreds of lines that would bury the
        # demo accounts printed at the end.
        wagtail_log = logging.getLogger("wagtail")
        level = wagtail_log.level
        wagtail_log.setLevel(logging.WARNING)
        try:
            self.load_all()
        finally:
            wagtail_log.setLevel(level)

    def load_all(self):
        with index_updates_deferred(stdout=self.stdout), transaction.atomic():
            load_topics()
            load_synonyms()
            home_ja, home_en = load_pages()
            catalogue = load_curriculum(home_ja)
            accounts = self.load_people()
            load_credentials()
            with awarding.quietly():
                load_learning()
                award_demo_learners()
            course_run = load_course_run()
            cases = load_case_studies(home_ja)
            load_demo_submissions()
            peers = load_questions(os.environ.get("DEMO_PASSWORD", DEFAULT_DEMO_PASSWORD))
            # Their accepted answers were recorded directly, without the signal that
            # re-evaluates credentials: the contributors' credentials are earned here.
            with awarding.quietly():
                award_demo_contributors(peers)
                talent_needs = load_talent()
            glossary = load_glossary()
        self.stdout.write(self.style.SUCCESS("Demo content is ready."))
        self.stdout.write(f"  Home: / (日本語), /en/ (English) — pages {home_ja.pk}, {home_en.pk}")
        self.stdout.write(f"  Courses: {catalogue.url}")
        if course_run is not None:
            self.stdout.write(
                f"  Course run: {course_run.title} (deadline {course_run.deadline:%Y-%m-%d}), "
                f"{reverse('curriculum:run', args=[course_run.pk])}; its learners: admin → Reports"
            )
        self.stdout.write(f"  Case studies: {cases.url} (write one at /case-studies/mine/)")
        self.stdout.write("  Questions and answers: /questions/ (ask at /questions/ask/)")
        if glossary is None:
            self.stdout.write(
                "  (The government IT glossary was not imported: ../shared/data is absent.)"
            )
        else:
            self.stdout.write(f"  {summary(glossary)}")
        self.stdout.write(
            f"  Talent pool: /talent/ ({len(talent_needs)} open needs in 愛媛県's pool; "
            "its candidates are fictional; the recruiter and the moderator see it at /talent/pool/)"
        )
        self.stdout.write(
            "  Credentials: /credentials/ (signed in), verify at /credentials/verify/; "
            f"the learner's public one: {public_award_url()}"
        )
        self.stdout.write("  Demo accounts (e-mail / password):")
        for persona, password in accounts:
            self.stdout.write(f"    {persona['label']:<28} {persona['email']} / {password}")
        self.stdout.write(
            "    Four more peers who answer questions: peer-takahashi@, peer-nakamura@, "
            "peer-ito@, peer-kobayashi@example.jp (same password)"
        )

    def load_people(self):
        User = get_user_model()
        password = os.environ.get("DEMO_PASSWORD", DEFAULT_DEMO_PASSWORD)
        topics = Topic.objects.in_bulk(field_name="slug")
        municipalities = Municipality.objects.in_bulk(
            [p["municipality"] for p in PERSONAS if p["municipality"]], field_name="code"
        )
        training_staff_group()
        recruiters_group()
        accounts = []
        for persona in PERSONAS:
            user = User.objects.filter(email=persona["email"]).first()
            if user is None:
                user = User(
                    username=persona["key"],
                    email=persona["email"],
                    is_superuser=persona.get("superuser", False),
                    is_staff=persona.get("superuser", False),
                )
                user.set_password(password)
                user.save()
                EmailAddress.objects.create(
                    user=user, email=user.email, verified=True, primary=True
                )
                for name in persona.get("groups", []):
                    user.groups.add(Group.objects.get(name=name))
                if persona.get("reports_for"):
                    OrganisationReporter.objects.create(
                        user=user, municipality=municipalities[persona["reports_for"]]
                    )
                profile = user.profile
                profile.display_name = persona["display_name"]
                profile.municipality = municipalities.get(persona["municipality"])
                profile.department = persona["department"]
                profile.job_title = persona["job_title"]
                profile.is_public = persona["is_public"]
                profile.open_to_questions = persona["open_to_questions"]
                profile.save()
                profile.expertise.set([topics[slug] for slug in persona["expertise"]])
            accounts.append((persona, password))
        return accounts
