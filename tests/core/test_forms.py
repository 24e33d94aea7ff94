"""core.forms.ModelMultipleChoiceField: a key no database column can hold is a form error, not
a query that fails (OverflowError on SQLite, out of range on PostgreSQL)."""

import pytest
from django.core.exceptions import ValidationError

from core.forms import ModelMultipleChoiceField
from core.models import Topic
from tests.factories import TopicFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["99999999999999999999999", str(2**63), str(-(2**63) - 1)])
def test_a_key_beyond_64_bits_is_an_invalid_choice(value):
    field = ModelMultipleChoiceField(queryset=Topic.objects.all())
    with pytest.raises(ValidationError) as raised:
        field.clean([value])
    assert raised.value.code == "invalid_pk_value"


def test_keys_within_range_behave_as_in_django():
    topic = TopicFactory()
    field = ModelMultipleChoiceField(queryset=Topic.objects.all())
    assert list(field.clean([str(topic.pk)])) == [topic]
    with pytest.raises(ValidationError) as raised:
        field.clean([str(2**63 - 1)])
    assert raised.value.code == "invalid_choice"
    with pytest.raises(ValidationError) as raised:
        field.clean(["abc"])
    assert raised.value.code == "invalid_pk_value"


def test_a_slug_keyed_field_is_left_to_django():
    topic = TopicFactory(slug="rpa")
    field = ModelMultipleChoiceField(queryset=Topic.objects.all(), to_field_name="slug")
    assert list(field.clean(["rpa"])) == [topic]
    with pytest.raises(ValidationError):
        field.clean(["99999999999999999999999"])


@pytest.mark.parametrize(
    "path, data",
    [
        ("people:profile_edit", {"expertise": ["99999999999999999999999"]}),
        ("talent:profile_edit", {"pools": ["99999999999999999999999"]}),
        ("talent:profile_edit", {"shown_awards": ["99999999999999999999999"]}),
    ],
)
def test_forms_answer_a_forged_key_with_an_error(client, path, data):
    from django.urls import reverse

    from tests.factories import UserFactory

    user = UserFactory()
    client.force_login(user)
    args = [user.profile.pk] if path == "people:profile_edit" else []
    response = client.post(reverse(path, args=args), data)
    assert response.status_code == 200  # the form again, with its errors


def test_a_short_field_keeps_no_line_break_and_a_long_one_does():
    from core.text import clean_text

    assert clean_text("標準化\r\n移行", multiline=False) == "標準化 移行"
    assert clean_text("一行目\n二行目\x0b三行目", multiline=True) == "一行目\n二行目\n三行目"
