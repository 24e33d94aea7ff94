"""python manage.py seed_scale [--users N] [--questions N] [--answers N] [--cases N]
[--enrolments N] [--seed N] [--batch-size N] [--index | --no-index] [--reset]

Scale data for benchmarks and query budgets: by default 10,000 members, 100,000 questions,
300,000 answers, 2,000 case studies and up to 200,000 enrolments, in bulk (see `demo.scale`).
Needs the demo data (`load_demo`) or at least the municipalities, topics, case index and courses."""

import argparse
import logging
import os
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core.console import ProgressBar
from demo.scale import MissingBaseData, ScaleGenerator, ScaleOptions, has_scale_data, reset


class StageProgress:
    """One progress bar per stage (members, questions, …), as `import_qa` draws it."""

    def __init__(self, out):
        self.out = out
        self.bars: dict[str, ProgressBar] = {}
        self.started = time.monotonic()

    def __call__(self, label: str, done: int, total: int) -> None:
        bar = self.bars.get(label)
        if bar is None:
            bar = self.bars[label] = ProgressBar(self.out, f"{label:<14}")
        bar(done, total)


def count(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Writes scale data (members, questions with answers, votes and comments, case studies, "
        "enrolments with lesson progress) in bulk, for benchmarks and query budgets."
    )

    def add_arguments(self, parser):
        defaults = ScaleOptions()
        for name, default in (
            ("users", defaults.users),
            ("questions", defaults.questions),
            ("answers", defaults.answers),
            ("cases", defaults.cases),
            ("enrolments", defaults.enrolments),
        ):
            parser.add_argument(
                f"--{name}", type=count, default=default, help=f"how many (default {default:,})"
            )
        parser.add_argument(
            "--seed", type=int, default=defaults.seed, help="random seed: same seed, same data"
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=defaults.batch_size,
            help=f"rows per transaction and insert (default {defaults.batch_size:,})",
        )
        parser.add_argument(
            "--index",
            action=argparse.BooleanOptionalAction,
            default=False,
            help="rebuild the search index afterwards (many minutes for 100,000 questions; "
            "default: skip, and say how)",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="first remove the scale data of an earlier run (its members and what they wrote)",
        )

    def handle(self, *args, **options):
        if getattr(settings, "PRODUCTION", False):
            raise CommandError(_("seed_scale writes test data; it does not run on production."))
        if options["batch_size"] < 1:
            raise CommandError(_("The batch size must be at least 1."))
        progress = StageProgress(self.stderr) if options["verbosity"] else None
        started = time.monotonic()
        if has_scale_data():
            if not options["reset"]:
                raise CommandError(
                    _(
                        "Scale data from an earlier run is present. Run again with --reset to "
                        "replace it."
                    )
                )
            removed = reset(progress)
            self.stdout.write(
                "Removed the earlier scale data: "
                + ", ".join(f"{n:,} {what}" for what, n in removed.items())
            )
        generator = ScaleGenerator(
            ScaleOptions(
                users=options["users"],
                questions=options["questions"],
                answers=options["answers"],
                cases=options["cases"],
                enrolments=options["enrolments"],
                seed=options["seed"],
                batch_size=options["batch_size"],
                password=os.environ.get("DEMO_PASSWORD", "cio-demo-2026"),
            ),
            progress=progress,
        )
        # Wagtail logs page operations; scale runs write thousands of pages.
        wagtail_log = logging.getLogger("wagtail")
        level = wagtail_log.level
        wagtail_log.setLevel(logging.WARNING)
        try:
            result = generator.run()
        except MissingBaseData as missing:
            raise CommandError(
                _("Missing: %(what)s. Run `python manage.py load_demo` first.") % {"what": missing}
            ) from None
        finally:
            wagtail_log.setLevel(level)
        elapsed = time.monotonic() - started
        for note in result.notes:
            self.stdout.write(self.style.WARNING(note))
        summary = ", ".join(f"{n:,} {what}" for what, n in result.counts.items())
        self.stdout.write(self.style.SUCCESS(f"Scale data written in {elapsed:.0f} s: {summary}."))
        if options["index"]:
            index_started = time.monotonic()
            call_command("update_index", stdout=self.stdout, verbosity=0)
            self.stdout.write(f"Search index rebuilt in {time.monotonic() - index_started:.0f} s.")
        else:
            self.stdout.write(
                "The search index was not updated (it takes many minutes at this size): run "
                "`python manage.py update_index`, or seed_scale --index."
            )
