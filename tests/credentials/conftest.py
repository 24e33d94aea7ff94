import pytest

from tests.curriculum.conftest import course  # noqa: F401  (the curriculum's course fixture)
from tests.factories import CredentialDefinitionFactory, CredentialRuleFactory, UserFactory


@pytest.fixture
def learner(db):
    return UserFactory(email="learner@example.jp")


@pytest.fixture
def definition(course):  # noqa: F811
    """A credential earned by completing the course."""
    definition = CredentialDefinitionFactory(
        slug="dx-governance", name_ja="自治体DXガバナンス修了", name_en="DX governance"
    )
    CredentialRuleFactory(definition=definition, kind="course", course=course)
    return definition
