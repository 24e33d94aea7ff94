from django import forms
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail import hooks
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.log_actions import LogFormatter
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.chooser import ChooseResultsView, ChooseView, SnippetChooserViewSet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from core.admin_menus import PermissionMenuItem

from . import admin_views
from .models import Competency, Quiz, QuizItem, Role


class CompetencyViewSet(SnippetViewSet):
    model = Competency
    icon = "pick"
    menu_label = _("Competency areas")
    list_display = ["code", "name_ja", "name_en"]
    search_fields = ["code", "name_ja", "name_en"]
    ordering = ["sort_order", "code"]


class RoleViewSet(SnippetViewSet):
    model = Role
    icon = "group"
    menu_label = _("Roles")
    list_display = ["code", "name_ja", "name_en", "rank"]
    search_fields = ["code", "name_ja", "name_en"]
    ordering = ["rank", "code"]


class CareerFrameworkGroup(SnippetViewSetGroup):
    items = (CompetencyViewSet, RoleViewSet)
    menu_icon = "pick"
    menu_label = _("Career framework")
    menu_name = "career-framework"
    menu_order = 210


register_snippet(CareerFrameworkGroup)


class QuizItemSearchForm(BaseFilterForm):
    """The question chooser's search box. Questions are not in the search index (their answers
    must not reach the site search), so this narrows by the question's text in the database."""

    q = forms.CharField(
        label=_("Search term"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Words in the question")}),
    )

    def filter(self, objects):
        objects = super().filter(objects)
        query = " ".join((self.cleaned_data.get("q") or "").split())[:200]
        if query:
            self.is_searching = True
            self.search_query = query
            for word in query.split()[:10]:
                objects = objects.filter(text__icontains=word)
        return objects


class QuizItemChooseView(ChooseView):
    filter_form_class = QuizItemSearchForm


class QuizItemChooseResultsView(ChooseResultsView):
    filter_form_class = QuizItemSearchForm


class QuizItemChooserViewSet(SnippetChooserViewSet):
    choose_view_class = QuizItemChooseView
    choose_results_view_class = QuizItemChooseResultsView


class QuizItemViewSet(SnippetViewSet):
    model = QuizItem
    chooser_viewset_class = QuizItemChooserViewSet
    icon = "help"
    menu_label = _("Question bank")
    list_display = ["text", "kind"]
    list_filter = ["kind"]
    search_fields = ["text"]


class QuizViewSet(SnippetViewSet):
    model = Quiz
    icon = "tasks"
    menu_label = _("Quizzes")
    list_display = ["title", "pass_mark", "attempt_limit", "sample_size"]
    search_fields = ["title"]


class QuizGroup(SnippetViewSetGroup):
    items = (QuizViewSet, QuizItemViewSet)
    menu_icon = "tasks"
    menu_label = _("Quizzes")
    menu_name = "quizzes"
    menu_order = 220


register_snippet(QuizGroup)


@hooks.register("register_admin_urls")
def learning_report_urls():
    return [
        path("learning-reports/", admin_views.index, name="learning_reports"),
        path("learning-reports/<int:course_id>/", admin_views.detail, name="learning_report"),
        path("enrol-learners/", admin_views.bulk_enrol, name="bulk_enrol"),
    ]


@hooks.register("register_reports_menu_item")
def learning_reports_menu_item():
    return PermissionMenuItem(
        _("Learning"),
        reverse("learning_reports"),
        icon_name="doc-full",
        order=50,
        permissions=[admin_views.PERMISSION],
    )


@hooks.register("register_admin_menu_item")
def bulk_enrol_menu_item():
    return PermissionMenuItem(
        _("Enrol learners"),
        reverse("bulk_enrol"),
        icon_name="group",
        order=230,
        permissions=["curriculum.add_enrolment"],
    )


@hooks.register("register_log_actions")
def learning_log_actions(actions):
    @actions.register_action("curriculum.bulk_enrol")
    class BulkEnrolFormatter(LogFormatter):
        label = _("Enrol learners")

        def format_message(self, log_entry):
            data = log_entry.data or {}
            enrolled = data.get("enrolled", 0)
            return ngettext(
                "%(count)s learner enrolled by staff",
                "%(count)s learners enrolled by staff",
                enrolled,
            ) % {"count": enrolled}

        def format_comment(self, log_entry):
            data = log_entry.data or {}
            if data.get("municipality"):
                source = data["municipality"]
            elif data.get("prefecture"):
                source = data["prefecture"]
            else:
                source = _("a CSV of %(count)s addresses") % {"count": data.get("addresses", 0)}
            return _(
                "From: %(source)s; already enrolled: %(already)s; unknown addresses: %(unknown)s"
            ) % {
                "source": source,
                "already": data.get("already", 0),
                "unknown": data.get("unknown", 0),
            }
