from django.conf import settings
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    # Profiles refer to topics, and topics live in an app whose pages depend on the user model:
    # keeping them out of 0001 lets Wagtail's migrations run between the two.

    dependencies = [
        ('core', '0001_initial'),
        ('people', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='Profile',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('display_name', models.CharField(help_text='How other members see you, e.g. 山田 太郎 or a nickname.', max_length=60, verbose_name='display name')),
                ('department', models.CharField(blank=True, max_length=100, verbose_name='department')),
                ('job_title', models.CharField(blank=True, max_length=100, verbose_name='job title')),
                ('bio', models.TextField(blank=True, max_length=2000, verbose_name='about me')),
                ('is_public', models.BooleanField(default=False, help_text='Show your profile in the peer directory to signed-in members and visitors.', verbose_name='public profile')),
                ('open_to_questions', models.BooleanField(default=False, help_text='Peers may ask you about the topics you know, and questions may be routed to you.', verbose_name='open to questions from peers')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('expertise', models.ManyToManyField(blank=True, related_name='experts', to='core.topic', verbose_name='areas of expertise')),
                ('municipality', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='profiles', to='people.municipality', verbose_name='municipality')),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='profile', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'profile',
                'verbose_name_plural': 'profiles',
                'ordering': ['display_name'],
            },
        ),
        migrations.AddIndex(
            model_name='profile',
            index=models.Index(fields=['is_public', 'municipality'], name='people_prof_is_publ_c23234_idx'),
        ),
    ]
