from django.utils.translation import gettext_lazy as _

from core.translation import active_locale
from search.registry import SearchableType, register

from .models import CoursePage, LessonPage


def live_in_active_language(model):
    def queryset(request):
        return model.objects.live().filter(locale=active_locale(request))

    return queryset


register(
    SearchableType(
        name="course",
        label=_("Course"),
        queryset=live_in_active_language(CoursePage),
        title=lambda course: course.coded_title,
        topic_filter="topics",
        order=100,
        page_models=(CoursePage,),
    )
)
register(
    SearchableType(
        name="lesson",
        label=_("Lesson"),
        queryset=live_in_active_language(LessonPage),
        title=lambda lesson: lesson.title,
        order=200,
        page_models=(LessonPage,),
    )
)
