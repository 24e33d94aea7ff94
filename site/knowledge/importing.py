"""Imports question-and-answer pairs from a CSV file: one row, one question with one answer.

Each imported post remembers its source and row, so importing the same file again creates
nothing new; a row whose text changed updates its question or answer and records a revision. The
whole file is checked before anything is written and is written in one transaction: a bad row
leaves the database as it was.

Imported posts have no author, are published at once and notify no one. The search index is not
written here row by row: the caller defers index updates and rebuilds the index once
(``search.indexing.index_updates_deferred``, as the ``import_qa`` command and ``load_demo`` do)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import BODY_MAX, TITLE_MAX, Answer, ImportSource, Question, Visibility
from .posting import _record_revision

ELLIPSIS = "…"

GLOSSARY_PATH = ("shared", "data", "gov-cio-jp", "stdwords", "hyoujun_guideline_yougosyu.csv")
GLOSSARY = {
    "question_column": "用語",
    "answer_column": "定義",
    # ＲＦＰ（アールエフピー）: the reading shown with the term finds it when typed in kana.
    "reading_column": "フリガナ",
    "source_name": "政府CIOポータル 標準ガイドライン群用語集",
    "licence": "政府標準利用規約（第2.0版）準拠、CC BY 4.0 互換",
    "url": "https://cio.go.jp/guides",
    "attribution": "出典：政府CIOポータル「標準ガイドライン群用語集」",
    # When each term was added: the entries keep their own dates instead of all being "new".
    "date_column": "追加年月日",
    # The question column holds a term (ＲＦＰ): the question is what it means.
    "title_template": "{question}とは？",
}


class ImportFailed(Exception):
    """The file cannot be imported; the message says why, in words for the person importing."""


@dataclass
class ImportResult:
    created: int
    updated: int
    unchanged: int
    source: ImportSource | None = None

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class Row:
    number: int  # the CSV record number, the header being 1: what a spreadsheet shows
    title: str
    question: str
    answer: str
    written: datetime | None = None


# How a file is read; kept with its source, so importing it again reads it the same way.
READING_OPTIONS = ("title_column", "title_template", "date_column", "reading_column")


def import_qa(
    path,
    *,
    question_column: str,
    answer_column: str,
    title_column: str | None = None,
    title_template: str | None = None,
    date_column: str | None = None,
    reading_column: str | None = None,
    source_name: str | None = None,
    licence: str = "",
    url: str = "",
    attribution: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Imports the CSV file at `path` (UTF-8, with or without a byte-order mark).

    The title comes from `title_column` when given (and not empty in a row), otherwise from the
    question cell: its first line, shortened to fit, or `title_template` filled with it
    (``"{question}とは？"``). A `reading_column` (フリガナ) is shown after the question in
    brackets. `progress(done, total)` is called as rows are written.

    The source is the one named `source_name`, or else the one this file (by its name) was
    imported as before, whatever it was called then: importing the same file again never adds
    its entries twice. The options that source was imported with apply unless given anew."""
    path = Path(path)
    records = _records(path)  # an unreadable file is refused before anything else is asked
    given = {
        "title_column": title_column,
        "title_template": title_template,
        "date_column": date_column,
        "reading_column": reading_column,
    }
    name = (source_name or "").strip()
    earlier = (
        ImportSource.objects.filter(name=name).first()
        if name
        else ImportSource.objects.filter(file_name=path.name).order_by("pk").first()
    )
    columns = {"question_column": question_column, "answer_column": answer_column}
    if earlier is not None and earlier.columns:
        _check_same_columns(path, earlier, columns, explicit_source=bool(name))
        for option in READING_OPTIONS:
            if given[option] is None:
                given[option] = earlier.columns.get(option)
    rows = read_rows(path, records=records, **columns, **given)
    with transaction.atomic():
        source = _source(
            earlier.name if earlier is not None else (name or path.stem),
            licence=licence,
            url=url,
            attribution=attribution,
            file_name=path.name,
            columns={**columns, **{k: v for k, v in given.items() if v}},
        )
        result = ImportResult(0, 0, 0, source)
        questions = {q.source_row: q for q in Question.objects.filter(source=source)}
        answers = {a.source_row: a for a in Answer.objects.filter(source=source)}
        for done, row in enumerate(rows, start=1):
            question = questions.get(row.number)
            if question is None:
                _create(source, row)
                result.created += 1
            elif _update(source, row, question, answers.get(row.number)):
                result.updated += 1
            else:
                result.unchanged += 1
            if progress is not None:
                progress(done, len(rows))
    return result


# --- reading and checking the file --------------------------------------------------------------


def _check_same_columns(path, source, columns, explicit_source):
    """A file imported before is read with the same question and answer columns: other
    columns would make other posts of the same rows."""
    stored = {key: source.columns.get(key) for key in columns}
    if stored == columns:
        return
    hint = (
        _("Use the same columns, or another --source name to import it as a separate source.")
        if explicit_source
        else _("Use the same columns, or --source NAME to import it as a separate source.")
    )
    raise ImportFailed(
        _(
            "%(file)s was imported before as “%(source)s” with the question column "
            "“%(question)s” and the answer column “%(answer)s”."
        )
        % {
            "file": path.name,
            "source": source.name,
            "question": stored["question_column"],
            "answer": stored["answer_column"],
        }
        + " "
        + hint
    )


def read_rows(
    path: Path,
    *,
    question_column: str,
    answer_column: str,
    title_column: str | None = None,
    title_template: str | None = None,
    date_column: str | None = None,
    reading_column: str | None = None,
    records: list[list[str]] | None = None,
) -> list[Row]:
    """Every data row of the file, checked; raises ImportFailed at the first problem."""
    if title_template:
        try:
            title_template.format(question="")
        except (KeyError, IndexError, ValueError):
            raise ImportFailed(
                _("The title template %(template)s may use only {question}.")
                % {"template": title_template}
            ) from None
    if records is None:
        records = _records(path)
    if not records or not any(cell.strip() for cell in records[0]):
        raise ImportFailed(
            _("The file %(name)s is empty: its first line should name the columns.")
            % {"name": path.name}
        )
    header = [cell.strip() for cell in records[0]]
    optional = (title_column, date_column, reading_column)
    wanted = [question_column, answer_column] + [c for c in optional if c]
    missing = [column for column in wanted if column not in header]
    if missing:
        raise ImportFailed(
            _("Column not found: %(missing)s. The file has these columns: %(columns)s.")
            % {
                "missing": ", ".join(f"“{column}”" for column in missing),
                "columns": ", ".join(f"“{column}”" for column in header if column),
            }
        )
    for column in wanted:
        if header.count(column) > 1:
            raise ImportFailed(
                _("The column “%(column)s” appears more than once in the first line.")
                % {"column": column}
            )

    rows = []
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue  # a blank line, or a row of empty cells a spreadsheet left at the end
        if len(record) != len(header):
            raise ImportFailed(
                _("Row %(row)d has %(found)d fields where the first line names %(expected)d.")
                % {"row": number, "found": len(record), "expected": len(header)}
            )
        cells = dict(zip(header, record, strict=True))
        for column in wanted:
            # A NUL byte means a binary or damaged file; PostgreSQL cannot store one in text.
            if "\x00" in cells[column]:
                raise ImportFailed(
                    _(
                        "Row %(row)d: the column “%(column)s” contains a NUL character; the file "
                        "may be damaged or not text."
                    )
                    % {"row": number, "column": column}
                )
        question = _text(cells[question_column])
        answer = _text(cells[answer_column])
        reading = " ".join(cells[reading_column].split()) if reading_column else ""
        for column, text in ((question_column, question), (answer_column, answer)):
            if not text:
                raise ImportFailed(
                    _("Row %(row)d: the column “%(column)s” is empty.")
                    % {"row": number, "column": column}
                )
            if len(text) > BODY_MAX:
                raise ImportFailed(
                    _(
                        "Row %(row)d: the column “%(column)s” has %(length)d characters; "
                        "a post can have at most %(max)d."
                    )
                    % {"row": number, "column": column, "length": len(text), "max": BODY_MAX}
                )
        title = " ".join(cells[title_column].split()) if title_column else ""
        if not title:
            title = build_title(question, title_template)
        if len(title) > TITLE_MAX:
            raise ImportFailed(
                _(
                    "Row %(row)d: the title has %(length)d characters; "
                    "a title can have at most %(max)d."
                )
                % {"row": number, "length": len(title), "max": TITLE_MAX}
            )
        written = _date(cells[date_column], number, date_column) if date_column else None
        if reading and reading != question:
            question = f"{question}（{reading}）"
        rows.append(
            Row(number=number, title=title, question=question, answer=answer, written=written)
        )
    if not rows:
        raise ImportFailed(
            _("The file %(name)s names its columns but has no rows to import.")
            % {"name": path.name}
        )
    return rows


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d")


def _date(cell: str, number: int, column: str) -> datetime | None:
    text = cell.strip()
    if not text:
        return None
    for pattern in DATE_FORMATS:
        try:
            day = datetime.strptime(text, pattern)
        except ValueError:
            continue
        return timezone.make_aware(day.replace(hour=9))
    raise ImportFailed(
        _("Row %(row)d: “%(value)s” in the column “%(column)s” is not a date like 2024-03-31.")
        % {"row": number, "value": text[:40], "column": column}
    )


def _records(path: Path) -> list[list[str]]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImportFailed(_("File not found: %(path)s") % {"path": path}) from None
    except OSError as error:
        raise ImportFailed(
            _("Cannot read %(path)s: %(error)s") % {"path": path, "error": error.strerror}
        ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportFailed(
            _(
                "The file %(name)s is not UTF-8 text (the first byte that is not UTF-8 is on "
                "line %(line)d)%(guess)s. Save it as “CSV UTF-8” and import it again."
            )
            % {"name": path.name, "line": line, "guess": _encoding_guess(data)}
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    records = []
    try:
        for record in reader:
            records.append(record)
    except csv.Error as error:
        raise ImportFailed(
            _("Row %(row)d cannot be read as CSV: %(error)s")
            % {"row": len(records) + 1, "error": error}
        ) from None
    return records


def _encoding_guess(data: bytes) -> str:
    for encoding, name in (("cp932", "Shift_JIS"), ("euc_jp", "EUC-JP")):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return _("; it looks like %(encoding)s") % {"encoding": name}
    return ""


def _text(cell: str) -> str:
    """Line ends as \\n, without the blank space around the text."""
    return cell.replace("\r\n", "\n").replace("\r", "\n").strip()


def build_title(question: str, template: str | None = None) -> str:
    """The question's first line, shortened with “…” to fit a title; or the template filled
    with that line."""
    first_line = " ".join(question.split("\n", 1)[0].split())
    if template:
        return template.format(question=first_line)
    if len(first_line) <= TITLE_MAX and "\n" not in question:
        return first_line
    if len(first_line) < TITLE_MAX:
        return first_line + ELLIPSIS
    return first_line[: TITLE_MAX - len(ELLIPSIS)] + ELLIPSIS


# --- writing ------------------------------------------------------------------------------------


def _source(name: str, *, licence, url, attribution, file_name, columns) -> ImportSource:
    source = ImportSource.objects.filter(name=name).first() or ImportSource(name=name)
    given = {
        "licence": licence,
        "url": url,
        "attribution": attribution,
        "file_name": file_name,
        "columns": columns,
    }
    changed = source.pk is None
    for field, value in given.items():
        if value and getattr(source, field) != value:
            setattr(source, field, value)
            changed = True
    if not changed:
        return source
    try:
        source.full_clean(validate_unique=False)
    except ValidationError as error:
        details = "; ".join(
            f"{ImportSource._meta.get_field(field).verbose_name}: {' '.join(messages)}"
            for field, messages in error.message_dict.items()
        )
        raise ImportFailed(
            _("The source “%(name)s” cannot be saved: %(details)s")
            % {"name": name, "details": details}
        ) from None
    source.save()
    return source


def _create(source: ImportSource, row: Row) -> None:
    now = row.written or timezone.now()
    question = Question.objects.create(
        title=row.title,
        body=row.question,
        author=None,
        visibility=Visibility.PUBLISHED,
        source=source,
        source_row=row.number,
        created_at=now,
        last_activity_at=now,
    )
    _record_revision(question, None, summary="")
    _create_answer(source, row, question, now)


def _create_answer(source: ImportSource, row: Row, question: Question, now) -> None:
    reply = Answer.objects.create(
        question=question,
        body=row.answer,
        author=None,
        visibility=Visibility.PUBLISHED,
        source=source,
        source_row=row.number,
        created_at=now,
    )
    _record_revision(reply, None, summary="")
    # Saved after the answer so that an index written on save holds the answer's text too.
    question.answer_count = question.answers.filter(visibility=Visibility.PUBLISHED).count()
    question.refresh_status()
    question.save(update_fields=["answer_count", "status"])


def _update(source: ImportSource, row: Row, question: Question, reply: Answer | None) -> bool:
    """Brings the row's question and answer up to date with the file; says whether anything
    changed. What moderators and members did (visibility, votes, other answers) stays."""
    now = timezone.now()
    summary = _("Updated from the source")
    changed = False
    if question.title != row.title or question.body != row.question:
        question.title = row.title
        question.body = row.question
        question.edited_at = now
        question.last_activity_at = now
        question.save(update_fields=["title", "body", "edited_at", "last_activity_at"])
        _record_revision(question, None, summary=summary)
        changed = True
    if reply is None:
        # Someone deleted the imported answer: the file still has it.
        _create_answer(source, row, question, now)
        changed = True
    elif reply.body != row.answer:
        reply.body = row.answer
        reply.edited_at = now
        reply.save(update_fields=["body", "edited_at"])
        _record_revision(reply, None, summary=summary)
        Question.objects.filter(pk=question.pk).update(last_activity_at=now)
        changed = True
    return changed


# --- the demo glossary --------------------------------------------------------------------------


def glossary_path() -> Path:
    return Path(settings.BASE_DIR).parent.joinpath(*GLOSSARY_PATH)


def load_glossary(stdout=None) -> ImportResult | None:
    """The government CIO portal's glossary of standard-guideline terms (109 terms), one question
    per term, when the shared data folder is there; None, quietly, when it is not. Idempotent.
    The caller rebuilds the search index (load_demo imports inside index_updates_deferred)."""
    path = glossary_path()
    if not path.is_file():
        return None
    result = import_qa(path, **GLOSSARY)
    if stdout is not None:
        stdout.write(summary(result))
    return result


def summary(result: ImportResult) -> str:
    return ngettext(
        "Imported %(count)d question from %(source)s: "
        "%(created)d new, %(updated)d updated, %(unchanged)d unchanged.",
        "Imported %(count)d questions from %(source)s: "
        "%(created)d new, %(updated)d updated, %(unchanged)d unchanged.",
        result.total,
    ) % {
        "count": result.total,
        "source": result.source,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
    }
