import pytest
from django.urls import reverse

from people.models import Profile
from tests.factories import MunicipalityFactory, PrefectureFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    user = UserFactory()
    Profile.objects.filter(user=user).update(display_name="持ち主", is_public=False)
    user.profile.refresh_from_db()
    return user


def edit_url(user):
    return reverse("people:profile_edit", args=[user.profile.pk])


def test_every_user_gets_a_profile():
    assert Profile.objects.filter(user=UserFactory()).exists()


def test_owner_can_edit_their_profile(client, owner):
    municipality = MunicipalityFactory()
    topic = TopicFactory(name_ja="RPA")
    client.force_login(owner)
    assert client.get(edit_url(owner)).status_code == 200
    response = client.post(
        edit_url(owner),
        {
            "display_name": "新しい名前",
            "municipality": municipality.code,
            "department": "情報政策課",
            "job_title": "主査",
            "bio": "RPAの導入を担当しました。",
            "expertise": [topic.pk],
            "is_public": "on",
            "open_to_questions": "on",
        },
    )
    assert response.status_code == 302
    profile = Profile.objects.get(user=owner)
    assert (profile.display_name, profile.municipality, profile.is_public) == (
        "新しい名前",
        municipality,
        True,
    )
    assert list(profile.expertise.all()) == [topic]


def test_another_user_cannot_edit_or_see_the_edit_form(client, owner):
    intruder = UserFactory()
    client.force_login(intruder)
    assert client.get(edit_url(owner)).status_code == 403
    response = client.post(edit_url(owner), {"display_name": "乗っ取り"})
    assert response.status_code == 403
    assert Profile.objects.get(user=owner).display_name == "持ち主"


def test_staff_cannot_edit_someone_elses_profile_on_the_site(client, owner):
    client.force_login(UserFactory(is_staff=True))
    assert client.post(edit_url(owner), {"display_name": "x"}).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, owner):
    response = client.get(edit_url(owner))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_a_private_profile_is_hidden_from_others_but_shown_to_its_owner(client, owner):
    url = owner.profile.get_absolute_url()
    assert client.get(url).status_code == 404
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.force_login(owner)
    response = client.get(url)
    assert response.status_code == 200
    assert "持ち主" in response.content.decode()


def test_a_public_profile_is_visible_to_everyone(client, owner):
    Profile.objects.filter(user=owner).update(is_public=True)
    response = client.get(owner.profile.get_absolute_url())
    assert response.status_code == 200
    assert reverse("people:profile_edit", args=[owner.profile.pk]) not in response.content.decode()


def test_me_redirects_to_the_users_own_profile(client, owner):
    client.force_login(owner)
    response = client.get("/people/me/")
    assert response["Location"] == owner.profile.get_absolute_url()


def make_public_people(count, prefecture_code="13"):
    prefecture = PrefectureFactory(code=prefecture_code)
    topics = [TopicFactory(), TopicFactory()]
    for _ in range(count):
        user = UserFactory()
        profile = user.profile
        profile.display_name = f"職員{user.pk}"
        profile.is_public = True
        profile.municipality = MunicipalityFactory(prefecture=prefecture)
        profile.save()
        profile.expertise.set(topics)
    return topics


def test_directory_lists_only_public_profiles_and_filters(client, owner):
    topics = make_public_people(3)
    PrefectureFactory(code="01", name="北海道", kana="ほっかいどう", name_en="Hokkaido")
    response = client.get("/people/")
    names = [p.display_name for p in response.context["page_obj"]]
    assert len(names) == 3
    assert "持ち主" not in names
    assert len(client.get("/people/?prefecture=01").context["page_obj"]) == 0
    assert len(client.get(f"/people/?topic={topics[0].slug}").context["page_obj"]) == 3
    assert len(client.get("/people/?open=1").context["page_obj"]) == 0


@pytest.mark.parametrize("query", ["?page=abc", "?page=999", "?prefecture=%00", "?topic=<script>"])
def test_directory_survives_odd_parameters(client, query):
    assert client.get(f"/people/{query}").status_code == 200


def test_directory_query_count_does_not_grow_with_the_data(
    client, django_assert_num_queries, django_assert_max_num_queries
):
    make_public_people(2)
    with django_assert_max_num_queries(8) as small:
        client.get("/people/")
    make_public_people(25)
    with django_assert_num_queries(len(small.captured_queries)):
        client.get("/people/")


def test_profile_page_query_count_does_not_grow_with_topics(
    client, owner, django_assert_num_queries, django_assert_max_num_queries
):
    Profile.objects.filter(user=owner).update(is_public=True)
    owner.profile.expertise.set([TopicFactory()])
    url = owner.profile.get_absolute_url()
    # The profile, its topics and municipality, and its part in the knowledge base (reputation,
    # recent answers and questions, whether the viewer follows it).
    with django_assert_max_num_queries(14) as few:
        client.get(url)
    owner.profile.expertise.set([TopicFactory() for _ in range(15)])
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(url)


def test_saving_the_edit_form_untouched_changes_nothing(client, owner):
    """Open 'edit profile' and press Save: every field keeps its value, the municipality too
    (its options carry the local government code while the form's initial value is the key)."""
    from django.forms.models import model_to_dict

    from tests.browser_forms import form_data
    from tests.factories import RoleFactory

    profile = owner.profile
    profile.display_name = "持ち主"
    profile.municipality = MunicipalityFactory(name="府中町")
    profile.department = "総務課"
    profile.job_title = "主事"
    profile.current_role = RoleFactory(code="R1")
    profile.target_role = RoleFactory(code="R3")
    profile.bio = "住民票の\nオンライン申請を担当。"
    profile.is_public = True
    profile.open_to_questions = True
    profile.save()
    profile.expertise.set([TopicFactory(), TopicFactory()])
    before = model_to_dict(profile, exclude=["updated_at"])
    assert set(before) >= {f.name for f in Profile._meta.get_fields() if f.concrete} - {
        "id",
        "created_at",
        "updated_at",
    }

    client.force_login(owner)
    data = form_data(client.get(edit_url(owner)).content)
    response = client.post(edit_url(owner), data)

    assert response.status_code == 302
    profile = Profile.objects.get(pk=profile.pk)
    assert model_to_dict(profile, exclude=["updated_at"]) == before


def test_the_saved_municipality_is_selected_on_the_edit_form(client, owner):
    from bs4 import BeautifulSoup

    municipality = MunicipalityFactory(name="府中町")
    MunicipalityFactory()
    Profile.objects.filter(user=owner).update(municipality=municipality)
    client.force_login(owner)
    page = BeautifulSoup(client.get(edit_url(owner)).content, "html.parser")
    selected = page.select('select[name="municipality"] option[selected]')
    assert [option["value"] for option in selected] == [municipality.code]
