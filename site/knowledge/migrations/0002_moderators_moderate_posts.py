from django.db import migrations


def grant(apps, schema_editor):
    """Wagtail's Moderators group moderates the knowledge base too."""
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("knowledge")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    # Viewing the posts and members lets moderators read their entries in Wagtail's history.
    permissions = Permission.objects.filter(
        content_type__app_label="knowledge",
        codename__in=[
            "moderate_posts",
            "view_question",
            "view_answer",
            "view_comment",
            "view_member",
        ],
    )
    group, _created = Group.objects.get_or_create(name="Moderators")
    group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    """Takes back what grant gave the Moderators group. The permissions themselves stay, as
    Django leaves every model's permissions (deleting one through the historical models failed:
    the cascade reached models of other registries)."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Moderators").first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="knowledge",
                codename__in=[
                    "moderate_posts",
                    "view_question",
                    "view_answer",
                    "view_comment",
                    "view_member",
                ],
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("wagtailcore", "0002_initial_data"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
