"""E-mails about course runs, in Japanese (the site's language): the notice to learners whom staff
enrolled or invited, and the deadline reminders that `manage.py send_deadline_reminders` sends
once a day.

Reminders go 7 days and 1 day before a run's deadline to every learner of the run who has not
completed the course and whose account is active. Each is sent once per enrolment and deadline
and recorded (`DeadlineReminder`, its unique constraint taken before the e-mail goes): running the
command twice a day, or on two servers, sends nothing twice. A day the command did not run is
caught up the next day with the reminder that applies then (a learner enrolled five days before
the deadline gets the 7-day reminder at once, saying five days); a deadline moved later is
reminded again."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection, send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_tasks import task

from . import runs
from .models import CourseRun, DeadlineReminder, Enrolment
from .progress import progress_by_course

log = logging.getLogger(__name__)

REMINDER_DAYS = (7, 1)


def _base_url() -> str:
    return getattr(settings, "WAGTAILADMIN_BASE_URL", "").rstrip("/")


def _links(run: CourseRun) -> dict:
    with translation.override(settings.LANGUAGE_CODE):
        return {
            "run_url": _base_url() + reverse("curriculum:run", args=[run.pk]),
            "dashboard_url": _base_url() + reverse("curriculum:dashboard"),
            "calendar_url": _base_url() + reverse("curriculum:calendar"),
        }


# Enrolment notices ----------------------------------------------------------------------------


@task()
def send_enrolment_notices(run_id: int, user_ids: list[int]) -> int:
    """One e-mail to each learner staff put in the run (in the worker in production)."""
    run = CourseRun.objects.select_related("course", "owner").filter(pk=run_id).first()
    if run is None:
        return 0
    enrolments = Enrolment.objects.filter(
        run=run, user_id__in=user_ids, user__is_active=True
    ).select_related("user")
    messages = []
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("You are enrolled in “%(run)s”") % {"run": run.title}
        context = {"run": run, **_links(run)}
        body = render_to_string("curriculum/email/run_enrolled.txt", context)
        for enrolment in enrolments:
            if enrolment.user.email:
                messages.append(EmailMessage(subject, body, None, [enrolment.user.email]))
    if not messages:
        return 0
    return get_connection().send_messages(messages) or 0


def notify_enrolled(run: CourseRun, outcome: runs.RunOutcome) -> None:
    """Queues the notices once the enrolments are committed."""
    if outcome.user_ids:
        user_ids = list(outcome.user_ids)
        transaction.on_commit(lambda: send_enrolment_notices.enqueue(run.pk, user_ids))


# Deadline reminders ---------------------------------------------------------------------------


def reminder_for(days_left: int) -> int | None:
    """Which reminder applies with this many days left: the nearest one not yet passed."""
    if days_left < 0:
        return None
    fitting = [days for days in REMINDER_DAYS if days_left <= days]
    return min(fitting) if fitting else None


def subject_for(run: CourseRun, days_left: int) -> str:
    if days_left == 0:
        return _("The deadline of “%(run)s” is today") % {"run": run.title}
    return ngettext(
        "%(days)s day left until the deadline of “%(run)s”",
        "%(days)s days left until the deadline of “%(run)s”",
        days_left,
    ) % {"days": days_left, "run": run.title}


def send_deadline_reminders(on: date | None = None) -> int:
    """Sends the reminders due today; returns how many were sent."""
    on = on or runs.today()
    due = list(
        Enrolment.objects.filter(
            run__isnull=False,
            completed_at__isnull=True,
            user__is_active=True,
            run__deadline__gte=on,
            run__deadline__lte=on + timedelta(days=max(REMINDER_DAYS)),
        )
        .select_related("user", "run", "course")
        .order_by("run__deadline", "pk")
    )
    sent_before = set(
        DeadlineReminder.objects.filter(enrolment__in=[e.pk for e in due]).values_list(
            "enrolment_id", "days_before", "deadline"
        )
    )
    sent = 0
    for enrolment in due:
        run = enrolment.run
        left = (run.deadline - on).days
        which = reminder_for(left)
        if which is None or (enrolment.pk, which, run.deadline) in sent_before:
            continue
        if not enrolment.user.email:
            continue
        try:
            with transaction.atomic():
                # Recorded first: a second run of the command finds it and sends nothing; a
                # failed e-mail rolls the record back, and tomorrow tries again.
                DeadlineReminder.objects.create(
                    enrolment=enrolment, days_before=which, deadline=run.deadline
                )
                _send_reminder(enrolment, left)
        except IntegrityError:
            continue  # another process sent it
        except Exception:
            log.exception("could not send the deadline reminder for enrolment %s", enrolment.pk)
            continue
        sent += 1
    return sent


def _send_reminder(enrolment: Enrolment, days_left: int) -> None:
    run = enrolment.run
    progress = progress_by_course(enrolment.user, [enrolment.course])[enrolment.course_id]
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "run": run,
            "course": enrolment.course,
            "days_left": days_left,
            "progress": progress,
            **_links(run),
        }
        send_mail(
            subject_for(run, days_left),
            render_to_string("curriculum/email/deadline_reminder.txt", context),
            None,
            [enrolment.user.email],
        )
