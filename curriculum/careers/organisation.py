"""Roles and credentials by organisation: how many members of a municipality hold each role and
each credential, and the same figures per municipality across a prefecture (prefectures support
their 市町村 under the national plan). Aggregate counts for planning only: nothing here returns a
person. Every figure comes from a grouped query, so a report costs the same number of queries
whatever the number of municipalities, members or awards.

Who may see what (`scope_for`): `credentials.view_all_organisations` (or a superuser) sees every
municipality and prefecture; `credentials.view_organisation_report` alone sees the viewer's own
municipality, and a member of a prefectural government (kind 都道府県) sees that prefecture as a
whole and each municipality in it."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from curriculum.credentials.models import Award, CredentialDefinition, OrganisationReporter
from curriculum.models import Role
from people.models import Municipality, Prefecture, Profile

VIEW_OWN = "credentials.view_organisation_report"
VIEW_ALL = "credentials.view_all_organisations"
SEARCH_LIMIT = 50


# Who may see what ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What one viewer may open. `municipality` is the viewer's own organisation (scoped viewers
    only); without one, a scoped viewer sees nothing."""

    everything: bool = False
    municipality: Municipality | None = None

    @property
    def prefecture_id(self) -> int | None:
        """The prefecture a member of its prefectural government sees as a whole."""
        own = self.municipality
        if own is not None and own.kind == Municipality.Kind.PREFECTURE:
            return own.prefecture_id
        return None

    @property
    def is_empty(self) -> bool:
        return not self.everything and self.municipality is None

    def allows_municipality(self, municipality: Municipality) -> bool:
        if self.everything:
            return True
        if self.municipality is None:
            return False
        return municipality.pk == self.municipality.pk or (
            self.prefecture_id is not None and municipality.prefecture_id == self.prefecture_id
        )

    def allows_prefecture(self, prefecture: Prefecture) -> bool:
        return self.everything or (
            self.prefecture_id is not None and prefecture.pk == self.prefecture_id
        )


def scope_for(user) -> Scope | None:
    """The viewer's scope, or None when they may not see these reports at all."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.has_perm(VIEW_ALL):  # true for active superusers too
        return Scope(everything=True)
    if user.has_perm(VIEW_OWN):
        # Assigned by an administrator, not the profile's municipality, which members edit.
        own = (
            Municipality.objects.select_related("prefecture")
            .filter(pk__in=OrganisationReporter.objects.filter(user=user).values("municipality"))
            .first()
        )
        return Scope(municipality=own)
    return None


# Figures -------------------------------------------------------------------------------------


def _members():
    """Profiles that count: those of active accounts."""
    return Profile.objects.filter(user__is_active=True)


def _standing_awards():
    return Award.objects.standing().filter(user__is_active=True)


@dataclass
class Column:
    """A role (or "no role set") or a credential, as a heading of the figures."""

    label: str
    code: str = ""
    role_id: int | None = None
    definition_id: int | None = None


def role_columns() -> list[Column]:
    """R0 全職員 … R5 CIO in rank order, then "No role set"."""
    columns = [
        Column(label=f"{role.code} {role.name}", code=role.code, role_id=role.pk)
        for role in Role.objects.order_by("rank", "code")
    ]
    columns.append(Column(label=_("No role set")))
    return columns


def credential_columns() -> list[Column]:
    return [
        Column(label=definition.name, definition_id=definition.pk)
        for definition in CredentialDefinition.objects.order_by("name_ja", "pk")
    ]


@dataclass
class Line:
    """One role or credential in a municipality: how many members, and their share."""

    label: str
    count: int
    members: int

    @property
    def share(self) -> int:
        return round(100 * self.count / self.members) if self.members else 0


@dataclass
class MunicipalityReport:
    municipality: Municipality
    members: int
    holders: int  # members holding at least one standing credential
    roles: list[Line] = field(default_factory=list)
    credentials: list[Line] = field(default_factory=list)

    @property
    def holder_share(self) -> int:
        return round(100 * self.holders / self.members) if self.members else 0


def municipality_report(municipality: Municipality) -> MunicipalityReport:
    members = _members().filter(municipality=municipality)
    by_role = dict(
        members.values("current_role")
        .annotate(n=Count("user", distinct=True))
        .values_list("current_role", "n")
    )
    awards = _standing_awards().filter(user__profile__municipality=municipality)
    by_credential = dict(
        awards.values("definition")
        .annotate(n=Count("user", distinct=True))
        .values_list("definition", "n")
    )
    holders = awards.aggregate(n=Count("user", distinct=True))["n"]
    total = sum(by_role.values())
    return MunicipalityReport(
        municipality=municipality,
        members=total,
        holders=holders,
        roles=[
            Line(column.label, by_role.get(column.role_id, 0), total) for column in role_columns()
        ],
        credentials=[
            Line(column.label, by_credential.get(column.definition_id, 0), total)
            for column in credential_columns()
        ],
    )


@dataclass
class PrefectureRow:
    """One municipality of a prefecture (or, with none, the prefecture's total)."""

    municipality: Municipality | None
    label: str
    members: int = 0
    holders: int = 0
    roles: list[int] = field(default_factory=list)
    credentials: list[int] = field(default_factory=list)


@dataclass
class PrefectureReport:
    prefecture: Prefecture
    role_columns: list[Column]
    credential_columns: list[Column]
    rows: list[PrefectureRow]
    total: PrefectureRow

    @property
    def largest(self) -> int:
        return max((row.members for row in self.rows), default=0)


def prefecture_report(prefecture: Prefecture) -> PrefectureReport:
    """One row per municipality of the prefecture with at least one member, in code order (the
    prefectural government first), and a total row."""
    roles, credentials = role_columns(), credential_columns()
    members = _members().filter(municipality__prefecture=prefecture)
    by_role: dict[int, dict[int | None, int]] = {}
    for municipality_id, role_id, n in (
        members.values("municipality", "current_role")
        .annotate(n=Count("user", distinct=True))
        .values_list("municipality", "current_role", "n")
    ):
        by_role.setdefault(municipality_id, {})[role_id] = n
    awards = _standing_awards().filter(user__profile__municipality__prefecture=prefecture)
    by_credential: dict[int, dict[int, int]] = {}
    for municipality_id, definition_id, n in (
        awards.values("user__profile__municipality", "definition")
        .annotate(n=Count("user", distinct=True))
        .values_list("user__profile__municipality", "definition", "n")
    ):
        by_credential.setdefault(municipality_id, {})[definition_id] = n
    holders = dict(
        awards.values("user__profile__municipality")
        .annotate(n=Count("user", distinct=True))
        .values_list("user__profile__municipality", "n")
    )
    municipalities = Municipality.objects.filter(prefecture=prefecture, pk__in=list(by_role))
    rows = []
    for municipality in municipalities.order_by("code"):
        counts = by_role[municipality.pk]
        held = by_credential.get(municipality.pk, {})
        rows.append(
            PrefectureRow(
                municipality=municipality,
                label=municipality.name,
                members=sum(counts.values()),
                holders=holders.get(municipality.pk, 0),
                roles=[counts.get(column.role_id, 0) for column in roles],
                credentials=[held.get(column.definition_id, 0) for column in credentials],
            )
        )
    # Each member belongs to one municipality, so the municipalities' figures add up.
    total = PrefectureRow(
        municipality=None,
        label=_("Total"),
        members=sum(row.members for row in rows),
        holders=sum(row.holders for row in rows),
        roles=[sum(column) for column in zip(*(row.roles for row in rows), strict=True)]
        or [0] * len(roles),
        credentials=[sum(column) for column in zip(*(row.credentials for row in rows), strict=True)]
        or [0] * len(credentials),
    )
    return PrefectureReport(prefecture, roles, credentials, rows, total)


@dataclass
class PrefectureTotal:
    prefecture: Prefecture
    municipalities: int = 0  # with at least one member
    members: int = 0
    holders: int = 0


@dataclass
class NationalReport:
    prefectures: list[PrefectureTotal]
    unplaced: int  # members who have not said which municipality they work for

    @property
    def largest(self) -> int:
        return max((row.members for row in self.prefectures), default=0)

    @property
    def members(self) -> int:
        return sum(row.members for row in self.prefectures)

    @property
    def holders(self) -> int:
        return sum(row.holders for row in self.prefectures)

    @property
    def municipalities(self) -> int:
        return sum(row.municipalities for row in self.prefectures)


def national_report() -> NationalReport:
    """Every prefecture with its members, credential holders and municipalities with members."""
    members = {
        row["municipality__prefecture"]: row
        for row in _members()
        .filter(municipality__isnull=False)
        .values("municipality__prefecture")
        .annotate(
            members=Count("user", distinct=True),
            municipalities=Count("municipality", distinct=True),
        )
    }
    holders = dict(
        _standing_awards()
        .filter(user__profile__municipality__isnull=False)
        .values("user__profile__municipality__prefecture")
        .annotate(n=Count("user", distinct=True))
        .values_list("user__profile__municipality__prefecture", "n")
    )
    prefectures = []
    for prefecture in Prefecture.objects.order_by("code"):
        found = members.get(prefecture.pk, {})
        prefectures.append(
            PrefectureTotal(
                prefecture=prefecture,
                municipalities=found.get("municipalities", 0),
                members=found.get("members", 0),
                holders=holders.get(prefecture.pk, 0),
            )
        )
    unplaced = _members().filter(municipality__isnull=True).count()
    return NationalReport(prefectures, unplaced)


@dataclass
class Found:
    municipality: Municipality
    members: int


def find_municipalities(text: str, limit: int = SEARCH_LIMIT) -> list[Found]:
    """Municipalities whose name, reading or code matches, with their member counts."""
    text = text.strip()
    if not text:
        return []
    matches = (
        Municipality.objects.filter(
            Q(name__icontains=text)
            | Q(kana__icontains=text)
            | Q(code__startswith=text)
            | Q(prefecture__name__startswith=text)
        )
        .select_related("prefecture")
        .annotate(members=Count("profiles", filter=Q(profiles__user__is_active=True)))
        .order_by("code")[:limit]
    )
    return [Found(municipality, municipality.members) for municipality in matches]
