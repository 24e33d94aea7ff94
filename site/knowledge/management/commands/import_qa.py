"""python manage.py import_qa FILE.csv --question-column C --answer-column C [--title-column C]
[--date-column C] [--reading-column C] [--source NAME] [--licence TEXT] [--url URL]
[--attribution TEXT]

One row, one published question with its answer. Idempotent per source and row: run it again
after the file changed and only the changed rows are updated (with a revision)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core.console import ProgressBar
from knowledge.importing import ImportFailed, import_qa, summary
from search.indexing import index_updates_deferred


class Command(BaseCommand):
    help = (
        "Imports question-and-answer pairs from a CSV file (UTF-8, with or without a byte-order "
        "mark), one question with its answer per row. Idempotent per source and row."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file", type=Path, help="the CSV file; its first line names its columns"
        )
        parser.add_argument("--question-column", required=True, help="the column with the question")
        parser.add_argument("--answer-column", required=True, help="the column with the answer")
        parser.add_argument(
            "--title-column",
            help="the column with the question's title (default: the question's first line)",
        )
        parser.add_argument(
            "--date-column",
            help="the column with the date the entry was written, e.g. 2024-03-31 (default: now)",
        )
        parser.add_argument(
            "--reading-column",
            help="the column with the question's reading (フリガナ), shown after it in brackets",
        )
        parser.add_argument(
            "--source",
            help="the source's name, shown with each post (default: the source this file was "
            "imported as before, or else the file's name)",
        )
        parser.add_argument("--licence", default="", help="the licence the source is under")
        parser.add_argument("--url", default="", help="where the source is published")
        parser.add_argument(
            "--attribution", default="", help="the credit line the licence asks for"
        )

    def handle(self, *args, file: Path, **options):
        if not file.is_file():
            raise CommandError(_("File not found: %(path)s") % {"path": file})
        progress = ProgressBar(self.stderr, _("Importing")) if options["verbosity"] else None
        try:
            # The index is rebuilt once at the end, not written row by row; not at all on failure.
            with index_updates_deferred(stdout=self.stdout):
                result = import_qa(
                    file,
                    question_column=options["question_column"],
                    answer_column=options["answer_column"],
                    title_column=options["title_column"],
                    date_column=options["date_column"],
                    reading_column=options["reading_column"],
                    source_name=options["source"],
                    licence=options["licence"],
                    url=options["url"],
                    attribution=options["attribution"],
                    progress=progress,
                )
        except ImportFailed as error:
            raise CommandError(_("Nothing was imported. %(reason)s") % {"reason": error}) from None
        self.stdout.write(self.style.SUCCESS(summary(result)))
