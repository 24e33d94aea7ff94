"""factory_boy factories shared by the whole suite."""

import datetime

import factory
import wagtail_factories
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.utils import timezone
from wagtail.models import Locale

from core.models import HomePage, StandardPage, Topic
from people.codes import check_digit
from people.models import Municipality, Prefecture


def valid_code(first_five: str) -> str:
    return f"{first_five}{check_digit(first_five)}"


class PrefectureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Prefecture
        django_get_or_create = ["code"]

    code = "13"
    name = "東京都"
    kana = "とうきょうと"
    name_en = "Tokyo"


class MunicipalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Municipality
        django_get_or_create = ["code"]

    prefecture = factory.SubFactory(PrefectureFactory)
    code = factory.LazyAttributeSequence(
        lambda o, n: valid_code(f"{o.prefecture.code}{200 + n % 800:03d}")
    )
    name = factory.Sequence(lambda n: f"テスト{n}市")
    kana = factory.Sequence(lambda n: f"てすと{n}し")
    kind = Municipality.Kind.CITY


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"topic-{n}")
    name_ja = factory.Sequence(lambda n: f"トピック{n}")
    name_en = factory.Sequence(lambda n: f"Topic {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["email"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.Sequence(lambda n: f"user{n}@example.jp")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def verified(user, create, extracted, **kwargs):
        """Allauth's mandatory verification needs a verified address to sign in."""
        if create and extracted is not False:
            EmailAddress.objects.get_or_create(
                user=user, email=user.email, defaults={"verified": True, "primary": True}
            )


class HomePageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = HomePage

    title = "自治体CIOアカデミー"
    slug = "home"
    lead = "自治体のCIO、CIO補佐官、デジタル担当職員が学び合い、助け合うための場です。"
    locale = factory.LazyFunction(lambda: Locale.objects.get_or_create(language_code="ja")[0])


class StandardPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = StandardPage

    title = factory.Sequence(lambda n: f"ページ{n}")
    intro = "<p>導入文</p>"


class CompetencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "curriculum.Competency"
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"C{n + 1}")
    name_ja = factory.Sequence(lambda n: f"領域{n + 1}")
    name_en = factory.Sequence(lambda n: f"Area {n + 1}")


class RoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "curriculum.Role"
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"R{n}")
    rank = factory.Sequence(lambda n: n)
    name_ja = factory.Sequence(lambda n: f"役割{n}")
    name_en = factory.Sequence(lambda n: f"Role {n}")


class CourseCatalogPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = "curriculum.CourseCatalogPage"

    title = "研修コース"
    slug = "courses"


class ProgrammePageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = "curriculum.ProgrammePage"

    title = factory.Sequence(lambda n: f"プログラム{n}")
    summary = "役割に合わせて順に受講するコースです。"


class CoursePageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = "curriculum.CoursePage"

    title = factory.Sequence(lambda n: f"コース{n}")
    code = factory.Sequence(lambda n: f"K{n + 1}")
    summary = "自団体の推進体制を点検します。"
    objectives = "自団体の推進体制の欠落を説明できる\n人材育成方針の要点を説明できる"
    estimated_hours = 8


class ModulePageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = "curriculum.ModulePage"

    title = factory.Sequence(lambda n: f"モジュール{n}")


class LessonPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = "curriculum.LessonPage"

    title = factory.Sequence(lambda n: f"レッスン{n}")
    estimated_minutes = 20
    required = True
    body = factory.LazyFunction(
        lambda: [{"type": "markdown", "value": "## 要点\n\n業務量調査から始めます。"}]
    )


class CredentialDefinitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "credentials.CredentialDefinition"

    slug = factory.Sequence(lambda n: f"credential-{n}")
    name_ja = factory.Sequence(lambda n: f"認定{n}")
    name_en = factory.Sequence(lambda n: f"Credential {n}")
    description_ja = "自治体DXの基礎を修めたことを示します。"
    criteria_ja = "講座をすべて修了すること。"


class CredentialRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "credentials.CredentialRule"

    definition = factory.SubFactory(CredentialDefinitionFactory)
    kind = "course"


class CredentialCompetencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "credentials.CredentialCompetency"

    definition = factory.SubFactory(CredentialDefinitionFactory)
    competency = factory.SubFactory(CompetencyFactory)
    level = 2


class CourseRunFactory(factory.django.DjangoModelFactory):
    """A run open for enrolment today, with its deadline three weeks away."""

    class Meta:
        model = "curriculum.CourseRun"
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"CIO補佐官 育成研修 令和8年度 第{n + 1}期")
    enrolment_opens = factory.LazyFunction(lambda: _today() - datetime.timedelta(days=7))
    enrolment_closes = factory.LazyFunction(lambda: _today() + datetime.timedelta(days=7))
    starts_on = factory.LazyFunction(lambda: _today() - datetime.timedelta(days=1))
    deadline = factory.LazyFunction(lambda: _today() + datetime.timedelta(days=21))
    self_enrolment = True

    @factory.post_generation
    def facilitators(run, create, extracted, **kwargs):
        if create and extracted:
            run.facilitators.set(extracted)


class LiveSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "curriculum.LiveSession"

    starts_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=3))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + datetime.timedelta(hours=2))
    place = "県庁 講堂"


def _today():
    from curriculum.runs import today

    return today()


# Talent pool -----------------------------------------------------------------------------------


class TalentProfileFactory(factory.django.DjangoModelFactory):
    """An open talent profile (in a pool, unlike a new member's), part time 4 days a month,
    remote or on site. `pools` defaults to the home prefecture; `roles=["engineer"]` and
    `claims={competency: level}` add role claims and self-declared levels."""

    class Meta:
        model = "talent.TalentProfile"
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    is_open = True
    background = "private"
    headline = factory.Sequence(lambda n: f"基幹業務システムの標準化移行をPMとして{n + 1}件")
    commitment = "part_time"
    days_per_month = 4
    work_mode = "either"
    home_prefecture = factory.SubFactory(PrefectureFactory)

    @factory.post_generation
    def pools(profile, create, extracted, **kwargs):
        if create:
            profile.pools.set(extracted if extracted is not None else [profile.home_prefecture])

    @factory.post_generation
    def roles(profile, create, extracted, **kwargs):
        if create and extracted:
            from talent.models import TalentRoleClaim

            for role in extracted:
                TalentRoleClaim.objects.create(profile=profile, role=role)

    @factory.post_generation
    def claims(profile, create, extracted, **kwargs):
        if create and extracted:
            from talent.models import CompetencyClaim

            for competency, level in extracted.items():
                CompetencyClaim.objects.create(profile=profile, competency=competency, level=level)

    @factory.post_generation
    def shown_awards(profile, create, extracted, **kwargs):
        if create and extracted:
            profile.shown_awards.set(extracted)


class TalentNeedFactory(factory.django.DjangoModelFactory):
    """An open need a month away, 4 days a month. `requirements={competency: level}`."""

    class Meta:
        model = "talent.TalentNeed"
        skip_postgeneration_save = True

    organisation = factory.SubFactory(MunicipalityFactory)
    role = "project_manager"
    title = factory.Sequence(lambda n: f"標準化移行のPM支援 {n + 1}")
    description = "基幹業務システムの標準準拠システムへの移行を支援していただける方を求めています。"
    starts_on = factory.LazyFunction(lambda: _today() + datetime.timedelta(days=30))
    days_per_month = 4

    @factory.post_generation
    def requirements(need, create, extracted, **kwargs):
        if create and extracted:
            from talent.models import NeedRequirement

            for competency, level in extracted.items():
                NeedRequirement.objects.create(need=need, competency=competency, level=level)


class ContactRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "talent.ContactRequest"

    need = factory.SubFactory(TalentNeedFactory)
    candidate = factory.SubFactory(UserFactory)
    sender = factory.SubFactory(UserFactory)
    message = "募集の件で、一度お話を伺えますでしょうか。"


def competency_award(user, levels, *, reason="テスト"):
    """A standing award to `user` of a new credential proving `levels` ({competency: level})."""
    from curriculum.credentials import awarding

    definition = CredentialDefinitionFactory()
    for competency, level in levels.items():
        CredentialCompetencyFactory(definition=definition, competency=competency, level=level)
    return awarding.award_manually(user, definition, awarded_by=None, reason=reason)


def recruiter(organisation, **kwargs):
    """An account with `talent.recruit_talent` and `organisation` assigned to it."""
    from django.contrib.auth.models import Permission

    from curriculum.credentials.models import OrganisationReporter

    user = UserFactory(**kwargs)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="talent", codename="recruit_talent")
    )
    OrganisationReporter.objects.create(user=user, municipality=organisation)
    return get_user_model().objects.get(pk=user.pk)  # without the cached permissions
