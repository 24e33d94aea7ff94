"""Every migration of the project's apps runs both ways on real data: a database filled with the
demo is migrated back to the oldest state and forward again, and keeps every row and every
value that the oldest state can hold. From the oldest state, rows written through the historical
models go through the data migrations, which do their work."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.apps import apps as current_apps
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import JSONField
from django.utils import timezone
from wagtail.fields import StreamField

from core.backup import EXCLUDED_MODELS

# App labels: the search app is "sitesearch".
PROJECT_APPS = [
    "core",
    "people",
    "sitesearch",
    "curriculum",
    "credentials",
    "casestudies",
    "knowledge",
]
NATURAL = {"contenttypes.contenttype", "auth.permission"}


def _natural_keys() -> dict[str, dict[int, tuple]]:
    ContentType = current_apps.get_model("contenttypes", "ContentType")
    Permission = current_apps.get_model("auth", "Permission")
    types = {ct.pk: (ct.app_label, ct.model) for ct in ContentType.objects.all()}
    permissions = {
        pk: (codename, *types[type_id])
        for pk, codename, type_id in Permission.objects.values_list(
            "pk", "codename", "content_type"
        )
    }
    return {"contenttypes.contenttype": types, "auth.permission": permissions}


def _canonical(field, value, keys):
    if value is None:
        return None
    remote = field.remote_field.model._meta.label_lower if field.remote_field else None
    if remote in NATURAL:
        return keys[remote].get(value, ("missing", value))
    if isinstance(field, StreamField):
        return json.dumps(field.get_prep_value(value), sort_keys=True, cls=DjangoJSONEncoder)
    if isinstance(field, JSONField):
        return json.dumps(value, sort_keys=True, cls=DjangoJSONEncoder)
    return value


def snapshot() -> dict[str, list]:
    """Every row of every table (many-to-many tables included), in a form that does not depend
    on the database: content types and permissions by natural key (their ids differ between
    databases), JSON with sorted keys. Rows are dicts of column to value, in primary-key order;
    many-to-many rows leave out their own id and are sorted."""
    keys = _natural_keys()
    rows = {}
    for model in current_apps.get_models(include_auto_created=True):
        label = model._meta.label_lower
        if model._meta.proxy or not model._meta.managed or label in EXCLUDED_MODELS:
            continue
        fields = model._meta.concrete_fields
        if model._meta.auto_created:
            fields = [field for field in fields if not field.primary_key]
        values = model._base_manager.order_by("pk").values_list(*(f.attname for f in fields))
        table = [
            {
                field.attname: _canonical(field, value, keys)
                for field, value in zip(fields, row, strict=True)
            }
            for row in values
        ]
        if model._meta.auto_created:
            table.sort(key=lambda row: json.dumps(row, sort_keys=True, cls=DjangoJSONEncoder))
        rows[label] = table
    for label in NATURAL:
        rows[label] = sorted(keys[label].values())
    return rows


def differences(before: dict[str, list], after: dict[str, list], limit: int = 10) -> list:
    """What differs between two snapshots, table by table and row by row (for readable
    failures): (table, row number, column, before, after)."""
    found = []
    for label in sorted(before.keys() | after.keys()):
        old, new = before.get(label), after.get(label)
        if old == new:
            continue
        if old is None or new is None or len(old) != len(new):
            found.append((label, "rows", len(old or []), len(new or [])))
            continue
        for number, (row_old, row_new) in enumerate(zip(old, new, strict=True)):
            if row_old == row_new:
                continue
            if not isinstance(row_old, dict):
                found.append((label, number, None, row_old, row_new))
                continue
            for name in row_old:
                if row_old[name] != row_new.get(name):
                    found.append((label, number, name, row_old[name], row_new.get(name)))
        if len(found) >= limit:
            break
    return found[:limit]


def restricted(rows: dict[str, list], columns: dict[str, set[str]]) -> dict[str, list]:
    """The snapshot's tables and columns that `columns` names."""
    return {
        label: table
        if label in NATURAL
        else [{name: row[name] for name in row if name in columns[label]} for row in table]
        for label, table in rows.items()
        if label in columns
    }


def _migrate(targets):
    """Migrates to `targets`; returns a fresh executor and the project state reached.

    The state is rebuilt from the migrations now applied: the one `migrate()` returns after
    going back starts from the state before the last migration it unapplied, which can still
    hold apps that were taken back to nothing when that migration comes late in the plan."""
    MigrationExecutor(connection).migrate(targets)
    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    applied = [key for key in executor.loader.applied_migrations if key in graph.nodes]
    return executor, executor.loader.project_state(applied, at_end=True)


def _oldest_targets(executor) -> list[tuple[str, str | None]]:
    """Each project app at its first migration, or at nothing where its first migration needs a
    later migration of another app that going back removes."""
    targets = {app: executor.loader.graph.root_nodes(app)[0] for app in PROJECT_APPS}
    while True:
        plan = executor.migration_plan(list(targets.values()))
        # An app whose first migration would be applied again is one that must go.
        reapplied = {
            migration.app_label
            for migration, backwards in plan
            if not backwards
            and (migration.app_label, migration.name) == targets[migration.app_label]
        }
        if not any(not backwards for _migration, backwards in plan):
            return list(targets.values())
        assert reapplied, plan
        for app in reapplied:
            targets[app] = (app, None)


def _surviving_columns(state_apps) -> dict[str, set[str]]:
    """Tables and columns that exist in both the oldest and the newest state: what going back
    and forth must keep (a column or table added later is dropped on the way back)."""
    columns = {}
    for model in current_apps.get_models(include_auto_created=True):
        try:
            old = state_apps.get_model(model._meta.app_label, model._meta.object_name)
        except LookupError:
            continue
        old_names = {field.attname for field in old._meta.concrete_fields}
        columns[model._meta.label_lower] = {
            field.attname for field in model._meta.concrete_fields if field.attname in old_names
        }
    for label in NATURAL:
        columns[label] = set()
    return columns


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_demo_data_survives_every_migration_back_and_forth():
    call_command("load_demo", stdout=StringIO())
    before = snapshot()
    executor = MigrationExecutor(connection)
    newest = executor.loader.graph.leaf_nodes()
    try:
        executor, state = _migrate(_oldest_targets(executor))
        applied = set(executor.loader.applied_migrations)
        # Back to each app's first migration takes the apps that depend on later ones back to
        # nothing: the oldest state the project's graph allows.
        assert ("core", "0001_initial") in applied
        assert ("core", "0002_alter_homepage_body_alter_standardpage_body") not in applied
        assert ("people", "0002_profile") not in applied
        assert not any(app in ("knowledge", "casestudies", "credentials") for app, _ in applied)
        columns = _surviving_columns(state.apps)
    finally:
        executor, _state = _migrate(newest)
    assert executor.migration_plan(newest) == []
    assert {"people.user", "people.municipality", "wagtailcore.page", "core.homepage"} <= set(
        columns
    )
    assert "knowledge.question" not in columns
    after = snapshot()
    assert differences(restricted(before, columns), restricted(after, columns)) == []
    # Tables created after the oldest state come back empty but usable.
    assert after["knowledge.question"] == [] and before["knowledge.question"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_data_migrations_work_on_rows_of_the_oldest_state():
    executor = MigrationExecutor(connection)
    newest = executor.loader.graph.leaf_nodes()
    try:
        _executor, state = _migrate(
            [("credentials", "0001_initial"), ("knowledge", "0001_initial")]
        )
        old = state.apps
        Group = old.get_model("auth", "Group")
        moderators = Group.objects.get(name="Moderators")
        assert not moderators.permissions.filter(codename="moderate_posts").exists()
        User = old.get_model("people", "User")
        Definition = old.get_model("credentials", "CredentialDefinition")
        Award = old.get_model("credentials", "Award")
        holder = User.objects.create(username="holder", email="holder@example.jp")
        definition = Definition.objects.create(
            slug="k1", name_ja="K1修了", description_ja="説明", criteria_ja="基準"
        )
        issued = timezone.now().replace(microsecond=0)
        for index, revoked_at in ((7, None), (8, issued)):
            Award.objects.create(
                user=holder,
                definition=definition,
                method="auto",
                issued_at=issued,
                status_index=index,
                revoked_at=revoked_at,
            )
    finally:
        _migrate(newest)

    from django.contrib.auth.models import Group as CurrentGroup

    from curriculum.credentials.models import StatusPosition

    # credentials 0002: a status-list position for every award there was, revoked or not.
    assert list(StatusPosition.objects.values_list("index", "revoked_at")) == [
        (7, None),
        (8, issued),
    ]
    # knowledge 0002: Wagtail's moderators moderate the knowledge base and see its history.
    granted = set(
        CurrentGroup.objects.get(name="Moderators")
        .permissions.filter(content_type__app_label="knowledge")
        .values_list("codename", flat=True)
    )
    assert {"moderate_posts", "view_question", "view_answer", "view_comment", "view_member"} <= (
        granted
    )
