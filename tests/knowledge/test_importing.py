"""python manage.py import_qa: CSV files as people export them (with or without a byte-order mark,
multi-line cells), idempotent re-imports, clear errors that leave nothing behind, and the real
government glossary found by the site search."""

import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from knowledge.importing import ImportFailed, build_title, import_qa, load_glossary
from knowledge.models import (
    TITLE_MAX,
    Answer,
    ImportSource,
    Question,
    QuestionStatus,
    Revision,
    Visibility,
)
from search.indexing import index_updates_deferred

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """The messages are checked in English, the language they are written in (the command runs
    in the active language; the Japanese catalogue comes later)."""
    translation.activate("en")


GLOSSARY = (
    settings.BASE_DIR.parent
    / "shared"
    / "data"
    / "gov-cio-jp"
    / "stdwords"
    / "hyoujun_guideline_yougosyu.csv"
)
needs_glossary = pytest.mark.skipif(
    not GLOSSARY.is_file(),
    reason=f"the shared data folder is absent ({GLOSSARY}): only CI and the team have it",
)

FAQ = (
    "質問,回答,分類\n"
    "RPAに向く業務は？,大量・定型・ルールが明確な業務です。,RPA\n"
    '"クラウドの契約で確かめることは？\n個人情報を置く場合です。","1. データの所在地\n'
    '2. 準拠法\n3. 解約時のデータ返却",クラウド\n'
    "提案依頼書（RFP）はどう書く？,機能ではなく達成したい業務の姿を書きます。,調達\n"
)


def write(tmp_path, text, name="faq.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def run(path, *args, **options):
    out, err = StringIO(), StringIO()
    call_command(
        "import_qa",
        str(path),
        "--question-column",
        options.pop("question", "質問"),
        "--answer-column",
        options.pop("answer", "回答"),
        *args,
        stdout=out,
        stderr=err,
        **options,
    )
    return out.getvalue(), err.getvalue()


def assert_nothing_imported():
    assert Question.objects.count() == 0
    assert Answer.objects.count() == 0
    assert Revision.objects.count() == 0
    assert ImportSource.objects.count() == 0


# --- a good file ------------------------------------------------------------------------------


def test_a_good_file_becomes_published_answered_questions(tmp_path):
    out, err = run(write(tmp_path, FAQ))

    assert "Imported 3 questions from faq: 3 new, 0 updated, 0 unchanged." in out
    assert "3/3 100%" in err  # the progress bar, on stderr
    source = ImportSource.objects.get()
    assert source.name == "faq"  # the file's name without .csv
    questions = Question.objects.order_by("source_row")
    assert [q.source_row for q in questions] == [2, 3, 4]  # CSV records, the header being 1
    rpa = questions[0]
    assert rpa.title == "RPAに向く業務は？"
    assert rpa.body == "RPAに向く業務は？"
    assert rpa.author is None
    assert rpa.visibility == Visibility.PUBLISHED
    assert rpa.source == source
    assert rpa.answer_count == 1
    assert rpa.status == QuestionStatus.ANSWERED
    assert rpa.created_at is not None and rpa.last_activity_at is not None
    reply = rpa.answers.get()
    assert reply.body == "大量・定型・ルールが明確な業務です。"
    assert (reply.author, reply.visibility, reply.source, reply.source_row) == (
        None,
        Visibility.PUBLISHED,
        source,
        2,
    )
    assert list(rpa.revisions.values_list("number", "author", "title")) == [
        (1, None, "RPAに向く業務は？")
    ]
    assert list(reply.revisions.values_list("number", "author", "body")) == [(1, None, reply.body)]


def test_with_and_without_a_byte_order_mark(tmp_path):
    with_bom = write(tmp_path, FAQ, name="with-bom.csv", encoding="utf-8-sig")
    without_bom = write(tmp_path, FAQ, name="without-bom.csv")
    assert with_bom.read_bytes().startswith(b"\xef\xbb\xbf")

    run(with_bom)
    run(without_bom)

    for name in ("with-bom", "without-bom"):
        titles = Question.objects.filter(source__name=name).order_by("source_row")
        assert titles[0].title == "RPAに向く業務は？"  # the first column is found by its name
    assert Question.objects.count() == 6


def test_multi_line_cells_keep_their_lines(tmp_path):
    crlf = FAQ.replace("\n", "\r\n")  # as Excel writes it, inside the quoted cells too
    run(write(tmp_path, crlf))

    cloud = Question.objects.get(source_row=3)
    assert cloud.body == "クラウドの契約で確かめることは？\n個人情報を置く場合です。"
    # A title is one line: the first, marked as shortened.
    assert cloud.title == "クラウドの契約で確かめることは？…"
    assert cloud.answers.get().body == "1. データの所在地\n2. 準拠法\n3. 解約時のデータ返却"
    # The multi-line record counts once: the next question is row 4.
    assert Question.objects.get(source_row=4).title.startswith("提案依頼書")


def test_title_column(tmp_path):
    out, _err = run(write(tmp_path, FAQ), "--title-column", "分類", "--source", "FAQ集")

    assert "from FAQ集" in out
    assert list(Question.objects.order_by("source_row").values_list("title", "body")) == [
        ("RPA", "RPAに向く業務は？"),
        ("クラウド", "クラウドの契約で確かめることは？\n個人情報を置く場合です。"),
        ("調達", "提案依頼書（RFP）はどう書く？"),
    ]


def test_source_details_are_recorded_and_updated_when_given(tmp_path):
    path = write(tmp_path, FAQ)
    run(path, "--licence", "CC BY 4.0", "--url", "https://example.jp/faq", "--attribution", "出典")
    run(path)  # not given: kept
    source = ImportSource.objects.get()
    assert (source.licence, source.url, source.attribution) == (
        "CC BY 4.0",
        "https://example.jp/faq",
        "出典",
    )
    run(path, "--licence", "CC0")
    source.refresh_from_db()
    assert (source.licence, source.attribution) == ("CC0", "出典")


def test_long_questions_get_a_shortened_title():
    assert build_title("短い質問") == "短い質問"
    long = "あ" * (TITLE_MAX + 20)
    assert build_title(long) == "あ" * (TITLE_MAX - 1) + "…"
    assert len(build_title(long)) == TITLE_MAX
    assert build_title("ＲＦＰ", "{question}とは？") == "ＲＦＰとは？"


# --- importing again ----------------------------------------------------------------------------


def test_importing_the_same_file_again_creates_nothing(tmp_path):
    path = write(tmp_path, FAQ)
    run(path)
    before = list(Question.objects.values_list("pk", "title", "body", "edited_at"))

    out, _err = run(path)

    assert "Imported 3 questions from faq: 0 new, 0 updated, 3 unchanged." in out
    assert list(Question.objects.values_list("pk", "title", "body", "edited_at")) == before
    assert Answer.objects.count() == 3
    assert ImportSource.objects.count() == 1
    assert Revision.objects.count() == 6


def test_a_changed_row_is_updated_with_a_new_revision(tmp_path):
    path = write(tmp_path, FAQ)
    run(path)
    rpa = Question.objects.get(source_row=2)
    reply = rpa.answers.get()

    changed = FAQ.replace("大量・定型・ルールが明確な業務です。", "大量で定型的な業務です。")
    out, _err = run(write(tmp_path, changed))

    assert "0 new, 1 updated, 2 unchanged." in out
    reply.refresh_from_db()
    assert reply.body == "大量で定型的な業務です。"
    assert reply.edited_at is not None
    latest = reply.revisions.last()
    assert (latest.number, latest.author, latest.body) == (2, None, "大量で定型的な業務です。")
    assert latest.summary == _("Updated from the source")
    assert rpa.revisions.count() == 1  # the question did not change
    assert Answer.objects.count() == 3


def test_a_changed_question_updates_title_and_body(tmp_path):
    path = write(tmp_path, FAQ)
    run(path)

    run(write(tmp_path, FAQ.replace("RPAに向く業務は？", "RPAに向く業務の見分け方は？")))

    rpa = Question.objects.get(source_row=2)
    assert (rpa.title, rpa.body) == ("RPAに向く業務の見分け方は？", "RPAに向く業務の見分け方は？")
    assert list(rpa.revisions.values_list("number", "title")) == [
        (1, "RPAに向く業務は？"),
        (2, "RPAに向く業務の見分け方は？"),
    ]


def test_import_qa_reports_progress_and_counts(tmp_path):
    calls = []
    result = import_qa(
        write(tmp_path, FAQ),
        question_column="質問",
        answer_column="回答",
        progress=lambda done, total: calls.append((done, total)),
    )
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    assert calls == [(1, 3), (2, 3), (3, 3)]


# --- broken files -------------------------------------------------------------------------------


def test_an_empty_answer_in_the_middle_stops_the_whole_file(tmp_path):
    broken = FAQ.replace("機能ではなく達成したい業務の姿を書きます。", "")
    broken += "最後の質問,最後の回答,その他\n"

    with pytest.raises(CommandError) as raised:
        run(write(tmp_path, broken))

    message = str(raised.value)
    assert "Row 4" in message  # the header is row 1; the multi-line record is row 3
    assert "回答" in message
    assert_nothing_imported()


def test_a_row_with_the_wrong_number_of_fields(tmp_path):
    too_many = FAQ + "質問A,回答A,分類A,余分\n"
    with pytest.raises(CommandError, match="Row 5 has 4 fields"):
        run(write(tmp_path, too_many))
    too_few = FAQ + "質問B,回答B\n"
    with pytest.raises(CommandError, match="Row 5 has 2 fields"):
        run(write(tmp_path, too_few))
    assert_nothing_imported()


def test_a_title_too_long_is_refused(tmp_path):
    long_title = FAQ.replace(",RPA\n", f",{'長' * (TITLE_MAX + 1)}\n")
    with pytest.raises(CommandError, match="Row 2: the title has 151 characters"):
        run(write(tmp_path, long_title), "--title-column", "分類")
    assert_nothing_imported()


def test_a_missing_column_names_the_columns_the_file_has(tmp_path):
    with pytest.raises(CommandError) as raised:
        run(write(tmp_path, FAQ), answer="答え")

    message = str(raised.value)
    assert "答え" in message
    for column in ("質問", "回答", "分類"):
        assert column in message
    assert_nothing_imported()


def test_a_shift_jis_file_is_refused_clearly(tmp_path):
    with pytest.raises(CommandError) as raised:
        run(write(tmp_path, FAQ, encoding="shift_jis"))

    message = str(raised.value)
    assert "not UTF-8" in message
    assert "Shift_JIS" in message
    assert_nothing_imported()


@pytest.mark.parametrize("text", ["", "\n\n", '"",""\n'])
def test_an_empty_file_is_refused(tmp_path, text):
    with pytest.raises(CommandError, match="empty"):
        run(write(tmp_path, text))
    assert_nothing_imported()


def test_a_file_with_only_column_names_is_refused(tmp_path):
    with pytest.raises(CommandError, match="no rows"):
        run(write(tmp_path, "質問,回答\n"))
    assert_nothing_imported()


def test_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="File not found"):
        run(tmp_path / "nowhere.csv")


def test_import_qa_raises_import_failed(tmp_path):
    with pytest.raises(ImportFailed, match="Row 2"):
        import_qa(
            write(tmp_path, "質問,回答\n,回答だけ\n"), question_column="質問", answer_column="回答"
        )


def test_the_command_exits_with_status_1(tmp_path):
    """manage.py turns the CommandError into a message on stderr and exit status 1."""
    path = write(tmp_path, FAQ, encoding="shift_jis")
    completed = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "import_qa",
            str(path),
            "--question-column",
            "質問",
            "--answer-column",
            "回答",
        ],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 1
    assert "UTF-8" in completed.stderr


# --- the real glossary --------------------------------------------------------------------------


@needs_glossary
@needs_glossary
def test_the_government_glossary(tmp_path, home_page, client):
    out, _err = StringIO(), StringIO()
    call_command(
        "import_qa",
        str(GLOSSARY),
        "--question-column",
        "用語",
        "--answer-column",
        "定義",
        "--source",
        "政府CIOポータル 標準ガイドライン群用語集",
        "--attribution",
        "出典：政府CIOポータル「標準ガイドライン群用語集」",
        stdout=out,
        stderr=_err,
    )

    assert "109 new" in out.getvalue()
    assert Question.objects.count() == 109
    assert Answer.objects.count() == 109
    source = ImportSource.objects.get()
    assert source.attribution == "出典：政府CIOポータル「標準ガイドライン群用語集」"
    assert not Question.objects.exclude(source=source).exists()
    assert not Answer.objects.exclude(source=source).exists()
    rfp = Question.objects.get(title="ＲＦＰ")
    assert rfp.answers.get().body == "提案依頼又は提案依頼書のこと。Request For Proposalの略字。"

    # The index was rebuilt once at the end: the site search finds a phrase of a definition.
    data = client.get("/search/", {"q": "提案依頼書", "format": "json"}).json()
    found = [r for r in data["results"] if r["type"] == "question"]
    assert rfp.get_absolute_url() in [r["url"] for r in found]


@needs_glossary
def test_load_glossary_for_the_demo(home_page, client):
    out = StringIO()
    with index_updates_deferred(stdout=StringIO()):  # as load_demo calls it
        result = load_glossary(stdout=out)

    assert (result.created, result.updated, result.unchanged) == (109, 0, 0)
    assert "109" in out.getvalue()
    source = ImportSource.objects.get()
    assert source.name == "政府CIOポータル 標準ガイドライン群用語集"
    assert source.url == "https://cio.go.jp/guides"
    assert source.attribution == "出典：政府CIOポータル「標準ガイドライン群用語集」"
    assert "CC BY 4.0" in source.licence
    # Each term is shown with its reading, so typing the reading in kana finds it.
    rfi = Question.objects.get(body="ＲＦＩ（アールエフアイ）")
    assert rfi.title == "ＲＦＩとは？"
    assert rfi.source == source
    # Multi-line definitions keep their lines.
    assert Answer.objects.filter(body__contains="\n").count() == 5

    again = load_glossary()
    assert (again.created, again.updated, again.unchanged) == (0, 0, 109)
    assert Question.objects.count() == 109

    data = client.get("/search/", {"q": "資料提供依頼", "format": "json"}).json()
    assert "ＲＦＩとは？" in [r["title"] for r in data["results"] if r["type"] == "question"]
    # Half-width letters find the full-width term.
    data = client.get("/search/", {"q": "RFI", "format": "json"}).json()
    assert "ＲＦＩとは？" in [r["title"] for r in data["results"] if r["type"] == "question"]


@needs_glossary
def test_importing_the_demo_glossary_again_by_hand_adds_nothing(home_page, client):
    """load_demo imports the glossary; an official who then imports the same file with
    import_qa (without knowing the source's name) updates those entries, never doubles them."""
    with index_updates_deferred(stdout=StringIO()):
        load_glossary()
    titles = set(Question.objects.values_list("title", flat=True))

    out, _err = run(GLOSSARY, question="用語", answer="定義")

    assert "0 new" in out
    assert Question.objects.count() == 109
    assert ImportSource.objects.count() == 1
    # Read the way it was first imported: the titles and readings stay.
    assert set(Question.objects.values_list("title", flat=True)) == titles
    data = client.get("/search/", {"q": "ていあんいらい", "format": "json"}).json()
    assert data["results"][0]["title"] == "提案依頼とは？"


def test_a_file_imported_before_keeps_its_source_and_options(tmp_path):
    path = write(tmp_path, FAQ)
    run(path, "--title-column", "分類", "--source", "自治体FAQ")
    run(path)  # no --source, no --title-column: the file is known
    assert ImportSource.objects.get().name == "自治体FAQ"
    assert Question.objects.count() == 3
    assert set(Question.objects.values_list("title", flat=True)) == {"RPA", "クラウド", "調達"}


def test_a_known_file_with_other_columns_is_refused_clearly(tmp_path):
    path = write(tmp_path, FAQ)
    run(path)
    with pytest.raises(CommandError) as refused:
        run(path, question="分類")
    message = str(refused.value)
    assert "faq.csv was imported before as “faq”" in message
    assert "--source NAME" in message
    assert Question.objects.count() == 3
    # Under another source name the same file is a separate source.
    run(path, "--source", "分類別", question="分類")
    assert Question.objects.count() == 6


def test_a_reading_column_is_shown_after_the_question(tmp_path):
    path = write(tmp_path, "用語,読み,説明\n提案依頼書,ていあんいらいしょ,RFPのこと。\n")
    run(path, "--reading-column", "読み", question="用語", answer="説明")
    question = Question.objects.get()
    assert question.body == "提案依頼書（ていあんいらいしょ）"
    assert question.title == "提案依頼書"


def test_load_glossary_is_quiet_without_the_shared_data(settings, tmp_path):
    settings.BASE_DIR = tmp_path / "main"
    out = StringIO()
    assert load_glossary(stdout=out) is None
    assert out.getvalue() == ""
    assert_nothing_imported()


def test_date_column_dates_each_entry(tmp_path):
    path = write(
        tmp_path,
        "用語,定義,追加年月日\nＲＦＩ,資料提供依頼のこと。,2018/03/30\nＰＭＯ,推進組織のこと。,\n",
    )
    run(path, question="用語", answer="定義", date_column="追加年月日")
    dated = Question.objects.get(body="ＲＦＩ")
    assert (dated.created_at.year, dated.created_at.month, dated.created_at.day) == (2018, 3, 30)
    assert dated.answers.get().created_at == dated.created_at
    # An empty date means "now".
    assert Question.objects.get(body="ＰＭＯ").created_at.year >= 2026


def test_a_bad_date_stops_the_import(tmp_path):
    path = write(
        tmp_path,
        "用語,定義,追加年月日\nＲＦＩ,資料提供依頼のこと。,2018/03/30\nＰＭＯ,推進組織のこと。,昨年\n",
    )
    with pytest.raises(CommandError, match="Row 3"):
        run(path, question="用語", answer="定義", date_column="追加年月日")
    assert_nothing_imported()
