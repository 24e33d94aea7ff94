"""The quiz's question bank item is QuizItem: "Question" is the Q&A app's model."""

from django.db import migrations

ACTIONS = ("add", "change", "delete", "view")


def rename_permissions(old, new):
    """RenameModel renames the content type but not its permissions: without this, groups given
    the question bank's permissions would lose them (and new ones would appear beside them)."""

    def rename(apps, schema_editor):
        Permission = apps.get_model("auth", "Permission")
        for action in ACTIONS:
            for permission in Permission.objects.filter(
                content_type__app_label="curriculum", codename=f"{action}_{old}"
            ):
                taken = Permission.objects.filter(
                    content_type=permission.content_type, codename=f"{action}_{new}"
                ).exists()
                if not taken:
                    permission.codename = f"{action}_{new}"
                    permission.save(update_fields=["codename"])

    return rename


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("curriculum", "0004_one_open_quiz_attempt"),
    ]

    operations = [
        migrations.RenameModel("Question", "QuizItem"),
        migrations.RunPython(
            rename_permissions("question", "quizitem"), rename_permissions("quizitem", "question")
        ),
    ]
