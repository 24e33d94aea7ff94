"""How far a member is towards credentials that ask for contributions: counted with one COUNT a
kind, stopping at the most any rule asks for, so a prolific member costs no more than a new one."""

import pytest

from curriculum.credentials import progress, rules
from knowledge import posting
from knowledge.models import Member
from tests.factories import CredentialDefinitionFactory, CredentialRuleFactory, UserFactory

pytestmark = pytest.mark.django_db


def trusted():
    user = UserFactory()
    Member.objects.update_or_create(user=user, defaults={"approved_posts": 10})
    return user


@pytest.fixture
def answerer():
    """A member with three accepted answers and one that was not accepted."""
    user = trusted()
    for n in range(4):
        asker = trusted()
        question = posting.ask(
            asker, title=f"庁内RPAの運用体制 その{n}", body="体制を教えてください。"
        )
        reply = posting.answer(user, question, body="情報政策課が窓口になっています。")
        if n < 3:
            posting.accept(asker, reply)
    return user


def test_a_tally_counts_and_stops_where_asked(answerer):
    assert rules.tally(answerer, "accepted_answers") == 3
    assert rules.tally(answerer, "accepted_answers", at_most=2) == 2
    assert rules.tally(answerer, "accepted_answers", at_most=10) == 3
    assert rules.tally(UserFactory(), "accepted_answers") == 0


def test_credentials_within_reach_count_contributions_up_to_what_rules_ask(answerer):
    definition = CredentialDefinitionFactory(name_ja="Q&Aで頼られる人")
    CredentialRuleFactory(definition=definition, kind="accepted_answers", count=5)
    (standing,) = progress.near_completion(answerer)
    assert standing.definition == definition
    assert standing.share == pytest.approx(3 / 5)
