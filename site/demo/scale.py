"""Scale data: tens of thousands of members, questions, answers, case studies and enrolments, to
measure pages, queries and indexes at the size a national platform reaches.

Everything is written with ``bulk_create`` in batches, without signals, so the denormalised
fields are computed here before the rows are written: a question's score, answer count, status,
accepted answer and last activity; a case study's population band and hours saved; the case
index's child count. Questions and answers get their primary keys from here (the next free ones)
so that a question can point at its accepted answer in the same insert; the database's sequences
are moved past them at the end. Case studies are Wagtail pages whose tree paths are computed in
bulk (treebeard's ``add_child`` costs several queries per page).

The text is Japanese recombined from the domain vocabulary (the demo questions and answers, the
topics, the field guide and the study-group minutes, municipality names), never lorem ipsum.
Scale rows are recognisable by their e-mail domain and slug prefix, so ``reset`` can remove them.
"""

from __future__ import annotations

import json
import random
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone
from wagtail.models import Page

from casestudies.models import (
    CaseStudyIndexPage,
    CaseStudyPage,
    FigureStatus,
    Metric,
    PopulationBand,
    ProcurementRoute,
    Replication,
    Source,
)
from core.models import Topic
from curriculum.models import (
    CoursePage,
    Enrolment,
    LessonCompletion,
    LessonPage,
    Quiz,
    QuizAttempt,
    QuizItem,
    Role,
)
from knowledge.models import (
    Answer,
    Comment,
    Flag,
    Member,
    Notification,
    Question,
    Revision,
    Subscription,
    Visibility,
    Vote,
)
from people.models import Municipality, Profile

EMAIL_DOMAIN = "scale.example.jp"
SLUG_PREFIX = "scale-"
# The project's domain notes sit beside the checkout (../shared/domain); without them the demo
# questions and answers alone supply the sentences.
DOMAIN_NOTES = Path(settings.BASE_DIR).parent / "shared" / "domain"
FIXTURES = settings.BASE_DIR / "fixtures"

Progress = Callable[[str, int, int], None]


# Answers in each of the few long threads (see _answer_counts).
LONG_THREAD = 100


@dataclass
class ScaleOptions:
    users: int = 10_000
    questions: int = 100_000
    answers: int = 300_000
    cases: int = 2_000
    enrolments: int = 200_000
    seed: int = 2026
    batch_size: int = 2_000
    password: str = "cio-demo-2026"


@dataclass
class ScaleResult:
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class MissingBaseData(Exception):
    """The topics, municipalities or curriculum the scale data hangs on are not loaded."""


def scale_users():
    return get_user_model().objects.filter(email__endswith=f"@{EMAIL_DOMAIN}")


def has_scale_data() -> bool:
    return scale_users().exists()


# --- Text ------------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


# Forty common surnames and thirty-five given names.
SURNAMES = _words(
    "佐藤 鈴木 高橋 田中 伊藤 渡辺 山本 中村 小林 加藤 吉田 山田 佐々木 山口 "
    "松本 井上 木村 林 斎藤 清水 山崎 森 池田 橋本 阿部 石川 山下 中島 "
    "石井 小川 前田 岡田 長谷川 藤田 後藤 近藤 村上 遠藤 青木 坂本"
)
GIVEN_NAMES = _words(
    "大輔 翔太 健一 誠 拓也 直樹 雄一 剛 哲也 浩二 陽介 亮 和也 隆 修 聡 "
    "花子 真理 恵 由美 陽子 美咲 彩 麻衣 智子 香織 裕子 明美 直美 千尋 沙織 舞 綾 葵 結衣"
)
DEPARTMENTS = (
    "総務課 情報政策係",
    "企画政策課 DX推進室",
    "デジタル推進課",
    "情報システム課",
    "行政改革推進室",
    "市民課",
    "税務課",
    "保険年金課",
    "財政課",
    "人事課 人材育成係",
    "危機管理課",
    "地域振興課",
)
JOB_TITLES = ("主事", "主任", "主査", "係長", "課長補佐", "課長", "CIO補佐官", "情報政策監", "参事")
CONCERNS = (
    "費用の見積もり",
    "庁内の合意形成",
    "ベンダとの契約",
    "効果測定の方法",
    "職員研修の進め方",
    "個人情報の取扱い",
    "スケジュールの立て方",
    "議会への説明",
    "住民への周知",
    "セキュリティ対策",
    "予算要求の根拠",
    "一人担当での体制づくり",
    "近隣団体との共同調達",
    "運用保守の引き継ぎ",
    "仕様書の書き方",
)
TITLE_PATTERNS = (
    "{topic}の導入で、{concern}はどう考えればよいですか？",
    "{topic}を進めるうえでの{concern}について教えてください",
    "{muni}のような小規模団体で{topic}に取り組むときの{concern}は？",
    "{topic}と{topic2}を同時に進める場合、{concern}で注意すべき点は？",
    "{topic}の{concern}、他団体ではどうしていますか？",
    "{demo}（{topic}）",
)
ASK_CLOSINGS = (
    "同じような規模の団体での経験があれば教えてください。",
    "参考になる事例や資料があればご紹介いただけると助かります。",
    "進め方の順番だけでも、ご助言いただけないでしょうか。",
    "実際に取り組まれた方の感触を伺いたいです。",
)
CASE_TITLE_PATTERNS = (
    "{muni}における{topic}の導入",
    "{muni}の{topic}による業務改善",
    "{topic}で窓口業務を見直した{muni}の取組",
    "{muni}：{topic}と{topic2}の一体的な推進",
)
TECHNOLOGIES = (
    "RPA",
    "AI-OCR",
    "LGWAN-ASP",
    "ノーコードツール",
    "電子申請システム",
    "チャットボット",
    "BIツール",
    "生成AI",
)
MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\([^)]+\)")
NOISE = re.compile(r"[*#`>|]|\[S\d+\]|〔[^〕]*〕|^\s*[-\d.]+\s*")
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _sentences(text: str) -> list[str]:
    found = []
    for line in text.splitlines():
        # Tables, headings and source lists read as noise once their markup is gone.
        if line.lstrip().startswith(("|", "#", "```", "出典", "[S")):
            continue
        line = NOISE.sub("", MARKDOWN_LINK.sub(r"\1", line)).strip()
        for sentence in line.split("。"):
            sentence = sentence.strip(" 　・:：")
            japanese = len(JAPANESE.findall(sentence))
            if (
                15 <= len(sentence) <= 120
                and japanese >= len(sentence) * 0.6
                and not any(mark in sentence for mark in ("  ", "→", "出典", "http", "?"))
            ):
                found.append(sentence + "。")
    return found


class Vocabulary:
    """Sentences and titles from the project's own Japanese material."""

    def __init__(self, rng: random.Random, topics: list[Topic], municipalities: list):
        self.rng = rng
        self.topic_names = [t.name_ja for t in topics]
        self.municipality_names = [m.name for m in municipalities]
        demo = json.loads((FIXTURES / "knowledge" / "demo_questions.json").read_text("utf-8"))
        self.demo_titles = [q["title"] for q in demo["questions"]]
        texts = [q["body"] for q in demo["questions"]]
        texts += [a["body"] for q in demo["questions"] for a in q.get("answers", [])]
        texts += [c["body"] for q in demo["questions"] for c in q.get("comments", [])]
        self.question_sentences = _sentences("\n".join(q["body"] for q in demo["questions"]))
        self.comments = [c["body"] for q in demo["questions"] for c in q.get("comments", [])]
        notes = [p.read_text("utf-8") for p in sorted(DOMAIN_NOTES.glob("*.md"))]
        notes += [p.read_text("utf-8") for p in sorted(DOMAIN_NOTES.glob("*.txt"))]
        self.sentences = _sentences("\n".join(texts + notes))
        if not self.sentences:  # pragma: no cover - the demo fixture alone has hundreds
            raise MissingBaseData("no Japanese text found in the demo questions")

    def pick(self, items, k=1):
        return self.rng.sample(items, min(k, len(items)))

    def person_name(self) -> str:
        return f"{self.rng.choice(SURNAMES)} {self.rng.choice(GIVEN_NAMES)}"

    def paragraph(self, low=2, high=4, pool=None) -> str:
        pool = pool or self.sentences
        return "".join(self.rng.choice(pool) for _ in range(self.rng.randint(low, high)))

    def question_title(self, topics: list[str]) -> str:
        topic, topic2 = (topics + self.pick(self.topic_names, 2))[:2]
        title = self.rng.choice(TITLE_PATTERNS).format(
            topic=topic,
            topic2=topic2 if topic2 != topic else self.rng.choice(self.topic_names),
            concern=self.rng.choice(CONCERNS),
            muni=self.rng.choice(self.municipality_names),
            demo=self.rng.choice(self.demo_titles),
        )
        return title[:150]

    def question_body(self, municipality: str, department: str) -> str:
        intro = f"{municipality}の{department}で担当をしています。"
        paragraphs = [
            intro + self.paragraph(1, 2, self.question_sentences),
            self.paragraph(1, 3),
            self.rng.choice(ASK_CLOSINGS),
        ]
        return "\n\n".join(paragraphs)

    def answer_body(self) -> str:
        paragraphs = [self.paragraph(2, 3) for _ in range(self.rng.randint(1, 3))]
        if self.rng.random() < 0.3:
            steps = self.pick(self.sentences, 3)
            paragraphs.insert(1, "\n".join(f"{n}. {s}" for n, s in enumerate(steps, 1)))
        return "\n\n".join(paragraphs)

    def comment(self) -> str:
        if self.comments and self.rng.random() < 0.5:
            return self.rng.choice(self.comments)
        return self.rng.choice(self.sentences)[:600]

    def case_title(self, municipality: str, topics: list[str]) -> str:
        topic, topic2 = (topics + self.pick(self.topic_names, 2))[:2]
        return self.rng.choice(CASE_TITLE_PATTERNS).format(
            muni=municipality, topic=topic, topic2=topic2
        )[:255]


# --- Writing ---------------------------------------------------------------------------------


@contextmanager
def explicit_timestamps(*model_fields: tuple[type[models.Model], str]):
    """Writes the dates we computed instead of "now": `auto_now`/`auto_now_add` fields overwrite
    any value on insert, and scale data needs history (last week's questions, last year's)."""
    saved = []
    for model, name in model_fields:
        f = model._meta.get_field(name)
        saved.append((f, f.auto_now, f.auto_now_add))
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _next_id(model) -> int:
    return (model.objects.aggregate(top=models.Max("pk"))["top"] or 0) + 1


def _reset_sequences(*model_classes) -> None:
    """After rows were written with keys chosen here, the next automatic key follows them."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(model_classes))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def _chunks(total: int, size: int) -> Iterator[range]:
    for start in range(0, total, size):
        yield range(start, min(start + size, total))


def _insert_child_rows(model, objs, using=None) -> None:
    """Inserts only the child table of a multi-table model (the parent rows exist): what
    ``save(raw=True)`` does for one row, for many in one statement per batch."""
    fields = list(model._meta.local_concrete_fields)
    per_statement = max(1, (connection.ops.bulk_batch_size(fields, objs) or len(objs)))
    for start in range(0, len(objs), per_statement):
        model._base_manager._insert(objs[start : start + per_statement], fields=fields, using=using)


POPULATION_BY_KIND = {
    Municipality.Kind.VILLAGE: (400, 12_000),
    Municipality.Kind.TOWN: (3_000, 45_000),
    Municipality.Kind.CITY: (25_000, 450_000),
    Municipality.Kind.SPECIAL_WARD: (60_000, 920_000),
    Municipality.Kind.WARD: (80_000, 900_000),
    Municipality.Kind.DESIGNATED_CITY: (700_000, 3_700_000),
    Municipality.Kind.PREFECTURE: (550_000, 9_000_000),
}


class ScaleGenerator:
    def __init__(self, options: ScaleOptions, progress: Progress | None = None):
        self.options = options
        self.rng = random.Random(options.seed)
        self.progress = progress or (lambda label, done, total: None)
        self.result = ScaleResult()
        self.now = timezone.now().replace(microsecond=0)

    # The whole run ---------------------------------------------------------------------------

    def run(self) -> ScaleResult:
        self.load_base()
        with explicit_timestamps(
            (Vote, "created_at"),
            (Notification, "created_at"),
            (Subscription, "created_at"),
            (Replication, "created_at"),
            (Enrolment, "enrolled_at"),
            (Enrolment, "last_activity_at"),
            (LessonCompletion, "completed_at"),
            (QuizAttempt, "started_at"),
        ):
            self.make_users()
            self.make_questions()
            self.make_cases()
            self.make_enrolments()
        return self.result

    def load_base(self) -> None:
        self.topics = list(Topic.objects.all())
        self.municipalities = list(
            Municipality.objects.exclude(kind=Municipality.Kind.PREFECTURE).order_by("code")
        )
        self.case_index = CaseStudyIndexPage.objects.filter(locale__language_code="ja").first()
        self.courses = list(
            CoursePage.objects.live().filter(locale__language_code="ja").order_by("path")
        )
        missing = []
        if not self.topics:
            missing.append("topics")
        if not self.municipalities:
            missing.append("municipalities")
        if self.options.cases and self.case_index is None:
            missing.append("the case-study index page")
        if self.options.enrolments and not self.courses:
            missing.append("courses")
        if missing:
            raise MissingBaseData(", ".join(missing))
        self.roles = list(Role.objects.all())
        self.words = Vocabulary(self.rng, self.topics, self.municipalities)

    def _timestamp(self, days_back: float, after: datetime | None = None) -> datetime:
        """A moment in the last `days_back` days (after `after` when given), never in the future."""
        start = after or self.now - timedelta(days=days_back)
        span = max((self.now - start).total_seconds(), 1)
        return start + timedelta(seconds=int(self.rng.random() * span))

    def _bulk(self, model, objs, label=None, done=0, total=0):
        model.objects.bulk_create(objs, batch_size=self.options.batch_size)
        if label:
            self.progress(label, done, total)

    # Members ---------------------------------------------------------------------------------

    def make_users(self) -> None:
        User = get_user_model()
        count = self.options.users
        if count < 2 and (self.options.questions or self.options.cases or self.options.enrolments):
            raise MissingBaseData("at least two users (askers and answerers)")
        password = make_password(self.options.password)  # one hash: hashing 10,000 takes minutes
        start = _next_id(User)
        self.user_ids: list[int] = []
        self.user_places: dict[int, tuple[str, str]] = {}
        expertise = Profile.expertise.through
        for chunk in _chunks(count, self.options.batch_size):
            users, addresses, profiles, members, topics = [], [], [], [], []
            for n in chunk:
                pk = start + n
                name = self.words.person_name()
                joined = self._timestamp(4 * 365)
                users.append(
                    User(
                        pk=pk,
                        username=f"{SLUG_PREFIX}{pk:07d}",
                        email=f"{SLUG_PREFIX}{pk:07d}@{EMAIL_DOMAIN}",
                        password=password,
                        last_name=name.split()[0],
                        first_name=name.split()[1],
                        date_joined=joined,
                    )
                )
                addresses.append(
                    EmailAddress(user_id=pk, email=users[-1].email, verified=True, primary=True)
                )
                municipality = self.rng.choice(self.municipalities)
                department = self.rng.choice(DEPARTMENTS)
                self.user_places[pk] = (municipality.name, department)
                profiles.append(
                    Profile(
                        user_id=pk,
                        display_name=name,
                        municipality=municipality,
                        department=department,
                        job_title=self.rng.choice(JOB_TITLES),
                        current_role=self.rng.choice(self.roles) if self.roles else None,
                        target_role=self.rng.choice(self.roles) if self.roles else None,
                        is_public=self.rng.random() < 0.6,
                        open_to_questions=self.rng.random() < 0.2,
                    )
                )
                members.append(Member(user_id=pk, approved_posts=10, email=Member.Email.NEVER))
                self.user_ids.append(pk)
            with transaction.atomic():
                User.objects.bulk_create(users, batch_size=self.options.batch_size)
                EmailAddress.objects.bulk_create(addresses, batch_size=self.options.batch_size)
                created = Profile.objects.bulk_create(profiles, batch_size=self.options.batch_size)
                for profile in created:
                    for topic in self.words.pick(self.topics, self.rng.randint(0, 3)):
                        topics.append(expertise(profile_id=profile.pk, topic_id=topic.pk))
                expertise.objects.bulk_create(topics, batch_size=self.options.batch_size)
                Member.objects.bulk_create(members, batch_size=self.options.batch_size)
            self.progress("users", chunk.stop, count)
        _reset_sequences(User)
        self.result.counts["users"] = count

    # Questions and everything around them ---------------------------------------------------

    def _answer_counts(self, visibilities: list[str]) -> list[int]:
        """How many answers each question gets: most published questions one to three, a few
        many, about one in seven none; questions awaiting review or hidden none."""
        counts = [0] * len(visibilities)
        published = [i for i, v in enumerate(visibilities) if v == Visibility.PUBLISHED]
        total = self.options.answers
        if not published or not total:
            return counts
        answered = self.rng.sample(published, min(total, int(len(published) * 0.86) or 1))
        for i in answered:
            counts[i] = 1
        rest = total - len(answered)
        if rest > 0:
            # A long tail, capped: some questions draw twenty or thirty answers, none thousands.
            weights = [min(self.rng.paretovariate(1.6), 12.0) for _ in answered]
            for i in self.rng.choices(answered, weights=weights, k=rest):
                counts[i] += 1
        # And a few long threads of a hundred answers (one per 20,000 questions), as a national
        # forum has: the benchmark's "question with 100 answers". Their answers come from the
        # tail, so the total stays as asked.
        if total >= 10 * LONG_THREAD:
            long_threads = self.rng.sample(answered, max(1, len(published) // 20_000))
            surplus = sum(max(0, LONG_THREAD - counts[i]) for i in long_threads)
            for i in long_threads:
                counts[i] = max(counts[i], LONG_THREAD)
            donors = [i for i in answered if i not in set(long_threads)]
            while surplus:
                i = self.rng.choice(donors)
                if counts[i] > 1:
                    counts[i] -= 1
                    surplus -= 1
        return counts

    def _votes(self, author_id: int, target: dict, when: datetime, popularity: float):
        votes = []
        k = min(int(self.rng.expovariate(1 / popularity)), len(self.user_ids) - 1, 40)
        for voter in self.rng.sample(self.user_ids, k + 1)[: k + 1]:
            if voter == author_id or len(votes) == k:
                continue
            value = Vote.DOWN if self.rng.random() < 0.08 else Vote.UP
            votes.append(
                Vote(user_id=voter, value=value, created_at=self._timestamp(0, when), **target)
            )
        return votes

    def make_questions(self) -> None:
        total = self.options.questions
        if not total:
            return
        visibilities = self.rng.choices(
            [Visibility.PUBLISHED, Visibility.PENDING, Visibility.HIDDEN],
            weights=[96, 3, 1],
            k=total,
        )
        answer_counts = self._answer_counts(visibilities)
        next_question, next_answer = _next_id(Question), _next_id(Answer)
        topic_link = Question.topics.through
        counts = dict.fromkeys(
            ["answers", "votes", "comments", "revisions", "subscriptions", "notifications"], 0
        )
        published_so_far: list[int] = []
        for chunk in _chunks(total, self.options.batch_size):
            questions, answers, votes, comments, revisions = [], [], [], [], []
            subscriptions, notifications, topic_rows = [], [], []
            for n in chunk:
                q_id = next_question + n
                asker = self.rng.choice(self.user_ids)
                asked = self._timestamp(3 * 365)
                topics = self.words.pick(self.topics, self.rng.choice((1, 1, 2, 2, 3)))
                visibility = visibilities[n]
                question = Question(
                    pk=q_id,
                    title=self.words.question_title([t.name_ja for t in topics]),
                    body=self.words.question_body(*self.user_places[asker]),
                    author_id=asker,
                    is_anonymous=self.rng.random() < 0.02,
                    visibility=visibility,
                    created_at=asked,
                    last_activity_at=asked,
                )
                topic_rows += [topic_link(question_id=q_id, topic_id=t.pk) for t in topics]
                revisions.append(
                    Revision(question_id=q_id, number=1, title=question.title,
                             body=question.body, author_id=asker, created_at=asked)
                )  # fmt: skip
                subscriptions.append(
                    Subscription(user_id=asker, question_id=q_id, created_at=asked)
                )
                question_votes = self._votes(asker, {"question_id": q_id}, asked, 1.5)
                votes += question_votes
                question.score = sum(v.value for v in question_votes)
                followers = {asker}
                thread = []
                for _ in range(answer_counts[n]):
                    author = self.rng.choice(self.user_ids)
                    if author == asker:
                        author = self.user_ids[
                            (self.user_ids.index(author) + 1) % len(self.user_ids)
                        ]
                    written = self._timestamp(0, asked)
                    answer = Answer(
                        pk=next_answer,
                        question_id=q_id,
                        author_id=author,
                        body=self.words.answer_body(),
                        visibility=self.rng.choices(
                            [Visibility.PUBLISHED, Visibility.PENDING, Visibility.HIDDEN],
                            weights=[98, 1, 1],
                        )[0],
                        created_at=written,
                    )
                    next_answer += 1
                    answer_votes = self._votes(author, {"answer_id": answer.pk}, written, 1.2)
                    votes += answer_votes
                    answer.score = sum(v.value for v in answer_votes)
                    revisions.append(
                        Revision(answer_id=answer.pk, number=1, body=answer.body,
                                 author_id=author, created_at=written)
                    )  # fmt: skip
                    if author not in followers:
                        followers.add(author)
                        subscriptions.append(
                            Subscription(user_id=author, question_id=q_id, created_at=written)
                        )
                    if answer.visibility == Visibility.PUBLISHED:
                        thread.append(answer)
                        notifications.append(
                            Notification(
                                recipient_id=asker,
                                kind=Notification.Kind.ANSWER,
                                question_id=q_id,
                                answer_id=answer.pk,
                                actor_id=author,
                                created_at=written,
                                emailed_at=written,
                                read_at=written if (self.now - written).days > 30 else None,
                            )
                        )
                    answers.append(answer)
                activity = [asked, *(a.created_at for a in thread)]
                for post in [question, *thread]:
                    if self.rng.random() < 0.15:
                        said = self._timestamp(0, post.created_at)
                        comments.append(
                            Comment(
                                question_id=q_id if post is question else None,
                                answer_id=None if post is question else post.pk,
                                body=self.words.comment(),
                                author_id=self.rng.choice(self.user_ids),
                                created_at=said,
                            )
                        )
                        activity.append(said)
                question.answer_count = len(thread)
                question.last_activity_at = max(activity)
                candidates = [a for a in thread if a.author_id != asker]
                if candidates and self.rng.random() < 0.45:
                    accepted = max(candidates, key=lambda a: (a.score, -a.pk))
                    question.accepted_answer_id = accepted.pk
                    notifications.append(
                        Notification(
                            recipient_id=accepted.author_id,
                            kind=Notification.Kind.ACCEPTED,
                            question_id=q_id,
                            answer_id=accepted.pk,
                            actor_id=None if question.is_anonymous else asker,
                            created_at=question.last_activity_at,
                            emailed_at=question.last_activity_at,
                            read_at=question.last_activity_at,
                        )
                    )
                if (
                    visibility == Visibility.PUBLISHED
                    and published_so_far
                    and self.rng.random() < 0.005
                ):
                    question.duplicate_of_id = self.rng.choice(published_so_far)
                    question.closed_at = self._timestamp(0, question.last_activity_at)
                    question.closed_by_id = asker
                    question.last_activity_at = question.closed_at
                question.refresh_status()
                if visibility == Visibility.PUBLISHED:
                    published_so_far.append(q_id)
                questions.append(question)
            with transaction.atomic():
                # Questions name their accepted answers, inserted just after: the foreign keys
                # are checked at commit (deferred on PostgreSQL and SQLite alike).
                Question.objects.bulk_create(questions, batch_size=self.options.batch_size)
                topic_link.objects.bulk_create(topic_rows, batch_size=self.options.batch_size)
                Answer.objects.bulk_create(answers, batch_size=self.options.batch_size)
                for model, rows in (
                    (Vote, votes),
                    (Comment, comments),
                    (Revision, revisions),
                    (Subscription, subscriptions),
                    (Notification, notifications),
                ):
                    model.objects.bulk_create(rows, batch_size=self.options.batch_size)
            counts["answers"] += len(answers)
            counts["votes"] += len(votes)
            counts["comments"] += len(comments)
            counts["revisions"] += len(revisions)
            counts["subscriptions"] += len(subscriptions)
            counts["notifications"] += len(notifications)
            self.progress("questions", chunk.stop, total)
        _reset_sequences(Question, Answer)
        self.result.counts["questions"] = total
        self.result.counts.update(counts)

    # Case studies ----------------------------------------------------------------------------

    def make_cases(self) -> None:
        total = self.options.cases
        if not total:
            return
        index = self.case_index
        content_type = ContentType.objects.get_for_model(CaseStudyPage)
        last = index.get_last_child()
        first_step = (Page._str2int(last.path[-Page.steplen :]) + 1) if last else 1
        topic_link = CaseStudyPage.topics.through
        author_link = CaseStudyPage.authors.through
        hours = {}
        for chunk in _chunks(total, min(self.options.batch_size, 500)):
            pages, cases, metrics, sources, topic_rows, author_rows, replications = (
                [], [], [], [], [], [], []
            )  # fmt: skip
            for n in chunk:
                municipality = self.rng.choice(self.municipalities)
                topics = self.words.pick(self.topics, self.rng.choice((1, 2, 2, 3)))
                title = self.words.case_title(municipality.name, [t.name_ja for t in topics])
                slug = f"{SLUG_PREFIX}{first_step + n:05d}"
                published = self._timestamp(3 * 365)
                pages.append(
                    Page(
                        title=title,
                        draft_title=title,
                        slug=slug,
                        content_type=content_type,
                        path=Page._get_path(index.path, index.depth + 1, first_step + n),
                        depth=index.depth + 1,
                        numchild=0,
                        url_path=f"{index.url_path}{slug}/",
                        live=True,
                        has_unpublished_changes=False,
                        first_published_at=published,
                        last_published_at=published,
                        latest_revision_created_at=None,
                        locale_id=index.locale_id,
                        translation_key=uuid.UUID(int=self.rng.getrandbits(128)),
                    )
                )
                low, high = POPULATION_BY_KIND.get(municipality.kind, (5_000, 100_000))
                population = self.rng.randint(low, high)
                started = date(2018, 1, 1) + timedelta(days=self.rng.randint(0, 7 * 365))
                case = CaseStudyPage(
                    municipality=municipality,
                    population=population,
                    population_source="住民基本台帳人口(例示)",
                    population_band=PopulationBand.of(population),
                    summary=self.words.paragraph(1, 2)[:400],
                    technologies=", ".join(self.words.pick(list(TECHNOLOGIES), 2)),
                    started=started,
                    ended=started + timedelta(days=self.rng.randint(90, 720))
                    if self.rng.random() < 0.6
                    else None,
                    problem=self.words.paragraph(2, 4),
                    approach=self.words.paragraph(3, 5),
                    team=f"{self.rng.choice(DEPARTMENTS)}、原課の職員{self.rng.randint(2, 8)}名",
                    partners=self.rng.choice(("", "県のDX推進センター", "地元の事業者", "近隣3町")),
                    procurement_route=self.rng.choice(ProcurementRoute.values),
                    cost_initial_yen=self.rng.randrange(0, 30_000_000, 10_000),
                    cost_annual_yen=self.rng.randrange(0, 8_000_000, 10_000),
                    lessons=self.words.paragraph(1, 3),
                    pitfalls=self.words.paragraph(1, 2),
                    figure_status=self.rng.choices(FigureStatus.values, weights=[3, 4, 3])[0],
                )
                cases.append(case)
                case_metrics = [
                    Metric(
                        kind=Metric.Kind.HOURS_SAVED,
                        name="削減できた作業時間",
                        value=Decimal(self.rng.randrange(50, 6_000)),
                        unit="時間/年",
                        period="年間",
                        sort_order=0,
                    )
                ]
                if self.rng.random() < 0.6:
                    case_metrics.append(
                        Metric(
                            kind=self.rng.choice(
                                [Metric.Kind.PERCENT_REDUCTION, Metric.Kind.ACCURACY]
                            ),
                            name="処理時間の削減率",
                            value=Decimal(self.rng.randrange(10, 96)),
                            unit="%",
                            sort_order=1,
                        )
                    )
                metrics.append(case_metrics)
                hours[slug] = case_metrics[0].value
                sources.append(
                    Source(
                        title=f"{municipality.name} 報道発表資料(例示)",
                        url=f"https://www.example.jp/{slug}",
                        retrieved_on=published.date(),
                        sort_order=0,
                    )
                )
                topic_rows.append([t.pk for t in topics])
                author_rows.append(self.rng.sample(self.user_ids, self.rng.choice((1, 1, 2))))
                replications.append(
                    self.rng.sample(
                        self.user_ids, min(len(self.user_ids), self.rng.choice((0, 0, 1, 2, 5)))
                    )
                )
            with transaction.atomic():
                created = Page.objects.bulk_create(pages, batch_size=self.options.batch_size)
                for page, case in zip(created, cases, strict=True):
                    case.page_ptr_id = case.pk = page.pk
                    case.hours_saved_per_year = hours[page.slug]
                _insert_child_rows(CaseStudyPage, cases)
                for page, case_metrics, source in zip(created, metrics, sources, strict=True):
                    source.page_id = page.pk
                    for metric in case_metrics:
                        metric.page_id = page.pk
                Metric.objects.bulk_create(m for case_metrics in metrics for m in case_metrics)
                Source.objects.bulk_create(sources)
                topic_link.objects.bulk_create(
                    topic_link(casestudypage_id=page.pk, topic_id=t)
                    for page, ts in zip(created, topic_rows, strict=True)
                    for t in ts
                )
                author_link.objects.bulk_create(
                    author_link(casestudypage_id=page.pk, user_id=u)
                    for page, us in zip(created, author_rows, strict=True)
                    for u in us
                )
                Replication.objects.bulk_create(
                    Replication(page_id=page.pk, user_id=u, created_at=page.first_published_at)
                    for page, us in zip(created, replications, strict=True)
                    for u in us
                )
                Page.objects.filter(pk=index.pk).update(
                    numchild=models.F("numchild") + len(created)
                )
            self.progress("case studies", chunk.stop, total)
        self.result.counts["case studies"] = total

    # Learning --------------------------------------------------------------------------------

    def make_enrolments(self) -> None:
        wanted = self.options.enrolments
        if not wanted:
            return
        courses = self.courses
        possible = len(self.user_ids) * len(courses)
        total = min(wanted, possible)
        if total < wanted:
            self.result.notes.append(
                f"enrolments: {total:,} of the {wanted:,} asked for — one per member and course, "
                f"and there are {len(self.user_ids):,} members and {len(courses)} courses"
            )
        lessons = {
            course.pk: list(
                LessonPage.objects.live()
                .descendant_of(course)
                .filter(required=True)
                .order_by("path")
            )
            for course in courses
        }
        quiz_items = self._quiz_answers(
            {lesson.quiz_id for ls in lessons.values() for lesson in ls if lesson.quiz_id}
        )
        pairs = self.rng.sample(range(possible), total)
        completions_total = 0
        for chunk in _chunks(total, self.options.batch_size):
            enrolments, completions, attempts = [], [], []
            for n in chunk:
                user_id = self.user_ids[pairs[n] // len(courses)]
                course = courses[pairs[n] % len(courses)]
                course_lessons = lessons[course.pk]
                enrolled = self._timestamp(2 * 365)
                stage = self.rng.random()
                if stage < 0.3 or not course_lessons:
                    done = course_lessons
                elif stage < 0.8:
                    done = course_lessons[: self.rng.randint(1, max(1, len(course_lessons) - 1))]
                else:
                    done = []
                when = enrolled
                for lesson in done:
                    when = self._timestamp(0, when)
                    via = LessonCompletion.Via.LEARNER
                    if lesson.quiz_id and lesson.quiz_id in quiz_items:
                        via = LessonCompletion.Via.QUIZ
                        served, answers, results = quiz_items[lesson.quiz_id]
                        attempts.append(
                            QuizAttempt(
                                user_id=user_id, quiz_id=lesson.quiz_id, lesson_id=lesson.pk,
                                served=served, answers=answers, results=results, score=100,
                                passed=True, started_at=when, submitted_at=when,
                            )
                        )  # fmt: skip
                    completions.append(
                        LessonCompletion(
                            user_id=user_id, lesson_id=lesson.pk, via=via, completed_at=when
                        )
                    )
                complete = bool(course_lessons) and len(done) == len(course_lessons)
                enrolments.append(
                    Enrolment(
                        user_id=user_id,
                        course_id=course.pk,
                        source=Enrolment.Source.SELF
                        if self.rng.random() < 0.85
                        else Enrolment.Source.ADMIN,
                        enrolled_at=enrolled,
                        completed_at=when if complete else None,
                        last_lesson_id=(done[-1] if done else course_lessons[0]).pk
                        if course_lessons
                        else None,
                        last_activity_at=when,
                    )
                )
            with transaction.atomic():
                Enrolment.objects.bulk_create(enrolments, batch_size=self.options.batch_size)
                LessonCompletion.objects.bulk_create(
                    completions, batch_size=self.options.batch_size
                )
                QuizAttempt.objects.bulk_create(attempts, batch_size=self.options.batch_size)
            completions_total += len(completions)
            self.progress("enrolments", chunk.stop, total)
        self.result.counts["enrolments"] = total
        self.result.counts["lesson completions"] = completions_total

    def _quiz_answers(self, quiz_ids) -> dict[int, tuple[list, dict, dict]]:
        """For each quiz, what a learner who passed with full marks was served and answered (the
        quiz review reads both)."""
        found = {}
        for quiz in Quiz.objects.filter(pk__in=quiz_ids).prefetch_related(
            "quiz_questions__question__choices"
        ):
            served, answers, results = [], {}, {}
            for item in quiz.quiz_questions.all():
                question = item.question
                choices = list(question.choices.all())
                served.append({"question": question.pk, "choices": [c.pk for c in choices]})
                right = [c.pk for c in choices if c.correct]
                if question.kind == QuizItem.Kind.MULTIPLE:
                    answers[str(question.pk)] = sorted(right)
                elif question.kind == QuizItem.Kind.SINGLE:
                    answers[str(question.pk)] = right[0] if right else None
                elif question.kind == QuizItem.Kind.TRUE_FALSE:
                    answers[str(question.pk)] = question.true_false_answer
                else:
                    answers[str(question.pk)] = (question.accepted_answer_list() or [""])[0]
                results[str(question.pk)] = True
            found[quiz.pk] = (served, answers, results)
        return found


# --- Removing ------------------------------------------------------------------------------


def reset(progress: Progress | None = None) -> dict[str, int]:
    """Removes what an earlier run wrote: its case pages, its members and all they wrote."""
    progress = progress or (lambda label, done, total: None)
    removed = {}
    with transaction.atomic():
        cases = CaseStudyPage.objects.filter(
            slug__startswith=SLUG_PREFIX, authors__in=scale_users()
        )
        page_ids = list(cases.values_list("pk", flat=True).distinct())
        parents = set(Page.objects.filter(pk__in=page_ids).values_list("path", flat=True))
        for chunk in _chunks(len(page_ids), 500):
            ids = page_ids[chunk.start : chunk.stop]
            Replication.objects.filter(page_id__in=ids).delete()
            Page.objects.filter(pk__in=ids).delete()
            progress("removing case studies", chunk.stop, len(page_ids))
        if parents:
            # Delete through the queryset does not keep the parent's child count.
            index = CaseStudyIndexPage.objects.filter(locale__language_code="ja").first()
            if index is not None:
                Page.objects.filter(pk=index.pk).update(numchild=index.get_children().count())
        removed["case studies"] = len(page_ids)
        user_ids = list(scale_users().values_list("pk", flat=True))
        questions = Question.objects.filter(author_id__in=user_ids)
        removed["questions"] = questions.count()
        # Raw deletes by chunk: the ORM's cascade would load every dependent row first.
        for chunk in _chunks(len(user_ids), 200):
            ids = user_ids[chunk.start : chunk.stop]
            Question.objects.filter(author_id__in=ids).update(accepted_answer=None)
            Question.objects.filter(duplicate_of__author_id__in=ids).update(duplicate_of=None)
            Flag.objects.filter(
                models.Q(question__author_id__in=ids)
                | models.Q(answer__question__author_id__in=ids)
                | models.Q(comment__question__author_id__in=ids)
                | models.Q(comment__answer__question__author_id__in=ids)
            ).delete()
            on_answers = models.Q(answer__question__author_id__in=ids)
            for model in (Vote, Comment, Revision):
                model.objects.filter(
                    models.Q(question__author_id__in=ids) | on_answers
                )._raw_delete(connection.alias)
            # A notification or subscription always names the question, also for an answer.
            for model in (Notification, Subscription):
                model.objects.filter(question__author_id__in=ids)._raw_delete(connection.alias)
            Answer.objects.filter(question__author_id__in=ids)._raw_delete(connection.alias)
            Question.topics.through.objects.filter(question__author_id__in=ids)._raw_delete(
                connection.alias
            )
            Question.objects.filter(author_id__in=ids)._raw_delete(connection.alias)
            get_user_model().objects.filter(pk__in=ids).delete()
            progress("removing members", chunk.stop, len(user_ids))
        removed["users"] = len(user_ids)
    return removed
