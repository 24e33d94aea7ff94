"""factory_boy factories shared by the whole suite."""

import factory
import wagtail_factories
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
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
