from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext
from wagtail import hooks
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.log_actions import LogFormatter
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views import snippets as snippet_views
from wagtail.snippets.views.chooser import ChooseResultsView, ChooseView, SnippetChooserViewSet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from core.admin_menus import PermissionMenuItem

from . import admin_views, run_admin_views, runs
from .models import Competency, CourseRun, Quiz, QuizItem, Role


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


# Before the viewset below, which would otherwise register the plain model policy.
register_permission_policy(CourseRun, runs.CourseRunPermissionPolicy(CourseRun))


class OnlyTheirRuns:
    """Wagtail's object views check the model permission; a run of another organiser is not
    found, as in the listing."""

    def get_object(self, *args, **kwargs):
        run = super().get_object(*args, **kwargs)
        policy, user, actions = (
            self.permission_policy,
            self.request.user,
            ["view", "change", "delete"],
        )
        # Without the model permission the view's own check refuses them, as for any snippet.
        if policy.user_has_any_permission(
            user, actions
        ) and not policy.user_has_any_permission_for_instance(user, actions, run):
            raise Http404
        return run


class OrganisersOfTheirScope:
    """The run form offers the organisers the user may open runs for."""

    def get_form(self, *args, **kwargs):
        form = super().get_form(*args, **kwargs)
        form.limit_organisers(runs.organisers_for(self.request.user))
        return form


class CourseRunViewSet(SnippetViewSet):
    """Opening, editing and closing runs: the model's own permissions (add/change/delete course
    run), limited to the organisers of the user's organisation scope (`runs.organisers_for`).
    Following a run's learners is a report (Reports → 開講別の受講状況)."""

    model = CourseRun
    icon = "date"
    menu_label = _("Course runs")
    menu_name = "course-runs"
    menu_order = 228
    add_to_admin_menu = True
    list_display = [
        "title",
        "course",
        Column("organiser", label=_("organised by")),
        "starts_on",
        "deadline",
        "capacity",
    ]
    list_filter = ["self_enrolment"]
    search_fields = ["title", "owner_name", "owner__name"]
    ordering = ["-starts_on", "title"]
    add_view_class = type("CreateView", (OrganisersOfTheirScope, snippet_views.CreateView), {})
    edit_view_class = type(
        "EditView", (OnlyTheirRuns, OrganisersOfTheirScope, snippet_views.EditView), {}
    )
    delete_view_class = type("DeleteView", (OnlyTheirRuns, snippet_views.DeleteView), {})
    usage_view_class = type("UsageView", (OnlyTheirRuns, snippet_views.UsageView), {})
    history_view_class = type("HistoryView", (OnlyTheirRuns, snippet_views.HistoryView), {})
    inspect_view_class = type("InspectView", (OnlyTheirRuns, snippet_views.InspectView), {})

    def get_queryset(self, request):
        return self.permission_policy.instances_user_has_any_permission_for(
            request.user, ["view", "add", "change", "delete"]
        )


register_snippet(CourseRunViewSet)


@hooks.register("register_admin_urls")
def learning_report_urls():
    return [
        path("learning-reports/", admin_views.index, name="learning_reports"),
        path("learning-reports/<int:course_id>/", admin_views.detail, name="learning_report"),
        path("enrol-learners/", admin_views.bulk_enrol, name="bulk_enrol"),
        path("course-runs/", run_admin_views.index, name="course_runs"),
        path("course-runs/<int:run_id>/", run_admin_views.learners, name="course_run_learners"),
        path(
            "course-runs/<int:run_id>/completions/",
            run_admin_views.completions,
            name="course_run_completions",
        ),
        path("course-runs/<int:run_id>/enrol/", run_admin_views.enrol, name="course_run_enrol"),
        path(
            "course-runs/<int:run_id>/sessions/<int:session_id>/attendance/",
            run_admin_views.attendance,
            name="course_run_attendance",
        ),
    ]


@hooks.register("before_delete_page")
def keep_courses_that_runs_use(request, page):
    """A run's enrolments, deadline and completion list are about its course: the runs are
    deleted (or moved to another course) first."""
    used = CourseRun.objects.filter(course__path__startswith=page.path).order_by("title")
    titles = list(used.values_list("title", flat=True)[:5])
    if titles:
        messages.error(
            request,
            _("This page cannot be deleted while course runs use it: %(runs)s.")
            % {"runs": pgettext("list separator", ", ").join(titles)},
        )
        return redirect("wagtailadmin_explore", page.get_parent().pk)
    return None


class CourseRunsMenuItem(MenuItem):
    """Shown to the staff who follow runs: those with a permission that opens every run or the
    organisation reports, and the runs' facilitators (who hold no permission for it)."""

    def is_shown(self, request):
        return runs.has_any_access(request.user)


@hooks.register("register_reports_menu_item")
def course_runs_menu_item():
    return CourseRunsMenuItem(
        _("Course runs: learners"), reverse("course_runs"), icon_name="date", order=55
    )


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
    @actions.register_action("curriculum.run_enrol")
    class RunEnrolFormatter(LogFormatter):
        label = _("Enrol learners in a run")

        def format_message(self, log_entry):
            data = log_entry.data or {}
            enrolled = data.get("enrolled", 0)
            return ngettext(
                "%(count)s learner put in the run (%(how)s)",
                "%(count)s learners put in the run (%(how)s)",
                enrolled,
            ) % {"count": enrolled, "how": data.get("how", "")}

    @actions.register_action("curriculum.attendance")
    class AttendanceFormatter(LogFormatter):
        label = _("Take attendance")

        def format_message(self, log_entry):
            data = log_entry.data or {}
            return _("Attendance taken: %(present)s of %(learners)s present") % {
                "present": data.get("present", 0),
                "learners": data.get("learners", 0),
            }

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
