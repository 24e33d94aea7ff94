"""The crowd of the load test: anonymous readers, searchers, learners and Q&A members.

Started by ``run.py`` (see its docstring), which prepares the site and passes, through the
environment, the pages to visit (LOADTEST_TARGETS), the accounts and the rate limits
(LOADTEST_ACCOUNTS), the folder for the record of writes (LOADTEST_WRITES) and the file for the
statistics (LOADTEST_STATS).

Requests are named by page type, so the statistics group them. Every request states the status it
expects; anything else (a 5xx, a 4xx, a redirect where a page was expected, a refusal message
after a write) is a failure. The scenario avoids what the rules refuse on purpose: nobody votes on
their own post or twice on one, a member asks, answers and votes only within the hourly budget
the site allows (then the simulated member carries on with a fresh account), a learner enrols only
in courses without prerequisites and takes each quiz once.

Each write the site answered with success is appended to a JSON-lines file (kind and what
identifies it); ``run.py`` looks every one up in the database afterwards.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import uuid
from collections import Counter, deque
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from locust import FastHttpUser, between, events, task

TARGETS = json.loads(Path(os.environ["LOADTEST_TARGETS"]).read_text())
ACCOUNTS = json.loads(Path(os.environ["LOADTEST_ACCOUNTS"]).read_text())
WRITES_DIR = Path(os.environ["LOADTEST_WRITES"])
STATS_FILE = Path(os.environ["LOADTEST_STATS"])
RATE_LIMITS = ACCOUNTS["rate_limits"]

MESSAGE = re.compile(r'class="message message--(\w+)">(.*?)</li>', re.S)
QUESTION_URL = re.compile(r"/questions/(\d+)/$")
# The page of the thread that holds the answer: ?page=N when it is not the first (threads.py).
ANSWER_URL = re.compile(r"/questions/(\d+)/(?:\?[^#]*)?#answer-(\d+)$")
ATTEMPT_URL = re.compile(r"/learn/attempts/(\d+)/$")
ANSWER_ARTICLE = re.compile(r'<article id="answer-(\d+)"')
TOPIC_CHOICE = re.compile(r'name="topics" value="(\d+)"')
QUIZ_INPUT = re.compile(r'<input type="(radio|checkbox|text)" name="(q-\d+)"(?: value="([^"]*)")?')
FORM_POSTED = {"Content-Type": "application/x-www-form-urlencoded"}

# What the crowd did that is not a request: account changes, skipped steps (run.py reports it).
SCENARIO = Counter()
# Posts created during the run, so that others answer and vote on them.
NEW_QUESTIONS: list[dict] = []
NEW_ANSWERS: list[dict] = []

_addresses = itertools.count(1)


def client_address() -> str:
    """A distinct address per simulated person, sent as X-Forwarded-For (see settings.loadtest)."""
    n = next(_addresses)
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


class Accounts:
    """Accounts handed out once each: a simulated person keeps one until its budget is spent."""

    def __init__(self, role):
        self.free = deque(dict(account, spent=Counter(), voted=set()) for account in ACCOUNTS[role])

    def take(self):
        return self.free.popleft() if self.free else None


LEARNERS = Accounts("learner")
MEMBERS = Accounts("member")


class WriteLog:
    def __init__(self):
        WRITES_DIR.mkdir(parents=True, exist_ok=True)
        self.file = (WRITES_DIR / f"writes-{os.getpid()}.jsonl").open("a", buffering=1)

    def record(self, kind, **fields):
        self.file.write(json.dumps({"kind": kind, **fields}, ensure_ascii=False) + "\n")


WRITES = WriteLog()


def token() -> str:
    return f"LT{uuid.uuid4().hex[:12]}"


def path_of(location: str) -> str:
    parts = urlsplit(location)
    return (
        parts.path
        + (f"?{parts.query}" if parts.query else "")
        + (f"#{parts.fragment}" if parts.fragment else "")
    )


class Visitor(FastHttpUser):
    abstract = True

    def on_start(self):
        self.address = client_address()

    # --- requests ---------------------------------------------------------------------------

    def _headers(self, extra=None):
        return {"X-Forwarded-For": self.address, **(extra or {})}

    def page(self, path, name, expect=200, headers=None):
        """GET a page; anything but the expected status is a failure. Returns the response or
        None when it failed."""
        with self.client.get(
            path,
            name=name,
            headers=self._headers(headers),
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != expect:
                response.failure(f"status {response.status_code}, expected {expect}")
                return None
            errors = self.error_messages(response) if expect == 200 else []
            if errors:
                response.failure(f"error message: {errors[0][:120]}")
                return None
            response.success()
            return response

    def post(self, path, name, fields, expect=302, headers=None):
        """POST a form with the CSRF token; anything but the expected status is a failure."""
        body = [*fields, ("csrfmiddlewaretoken", self.csrf_token())]
        with self.client.post(
            path,
            name=name,
            data=urlencode(body),
            headers=self._headers({**FORM_POSTED, **(headers or {})}),
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != expect:
                detail = ""
                if response.status_code == 200:
                    detail = "; ".join(text for _kind, text in self.error_messages(response))
                response.failure(f"status {response.status_code}, expected {expect} {detail}"[:200])
                return None
            response.success()
            return response

    def follow(self, response, name):
        """GET where a redirect points, failing on an error message there (how the site says a
        write was refused after a redirect)."""
        return self.page(path_of(self.location(response)), name)

    @staticmethod
    def location(response) -> str:
        return response.headers.get("Location") or response.headers.get("location") or ""

    @staticmethod
    def error_messages(response):
        return [
            (kind, text) for kind, text in MESSAGE.findall(response.text or "") if "error" in kind
        ]

    def csrf_token(self) -> str:
        for cookie in self.client.cookiejar:
            if cookie.name == "csrftoken":
                return cookie.value
        return ""

    # --- signing in -------------------------------------------------------------------------

    def sign_in(self, account) -> bool:
        self.client.cookiejar.clear()
        self.account = account
        if self.page("/accounts/login/", "login form") is None:
            return False
        response = self.post(
            "/accounts/login/",
            "login",
            [("login", account["email"]), ("password", ACCOUNTS["password"])],
        )
        if response is None:
            return False
        SCENARIO["sign-ins"] += 1
        return True

    # --- shared reading ---------------------------------------------------------------------

    def question_list(self):
        tab = random.choice(["newest", "active", "unanswered", "top"])
        query = {"tab": tab}
        if tab == "top":
            query["period"] = random.choice(["week", "month", "all"])
        if random.random() < 0.3:
            query["topic"] = random.choice(TARGETS["topics"])
        self.page(f"/questions/?{urlencode(query)}", f"question list ({tab})")

    def question(self, pk, name="question"):
        return self.page(f"/questions/{pk}/", name)


class AnonymousReader(Visitor):
    """Reads what is public: home, courses and lessons, case studies with facets, questions."""

    weight = 4
    think_time = (2, 8)
    wait_time = between(*think_time)

    @task(2)
    def home(self):
        self.page(TARGETS["home"], "home")

    @task(1)
    def programme(self):
        pages = TARGETS["programmes"] or TARGETS["catalogues"]
        self.page(random.choice(pages), "programme")

    @task(2)
    def course(self):
        self.page(random.choice(TARGETS["courses"])["url"], "course")

    @task(3)
    def lesson(self):
        course = random.choice(TARGETS["courses"])
        self.page(random.choice(course["lessons"])["url"], "lesson")

    @task(2)
    def case_listing(self):
        facets = TARGETS["case_facets"]
        query = []
        for name in random.sample(sorted(facets), k=min(len(facets), random.randint(0, 2))):
            query.append((name, random.choice(facets[name])))
        if random.random() < 0.3:
            query.append(("sort", "hours"))
        name = "case list (facets)" if query else "case list"
        self.page(TARGETS["case_index"] + (f"?{urlencode(query)}" if query else ""), name)

    @task(2)
    def case(self):
        self.page(random.choice(TARGETS["cases"]), "case")

    @task(2)
    def questions(self):
        self.question_list()

    @task(3)
    def read_question(self):
        self.question(random.choice(TARGETS["questions"]))


class Searcher(Visitor):
    """Searches in Japanese (the benchmark's glossary queries), as pages and as JSON."""

    weight = 2
    think_time = (2, 6)
    wait_time = between(*think_time)

    @task(3)
    def search_page(self):
        query = {"q": random.choice(TARGETS["queries"])}
        if random.random() < 0.25:
            query["type"] = random.choice(["course", "lesson", "case_study", "question"])
        self.page(f"/search/?{urlencode(query)}", "search")

    @task(1)
    def search_json(self):
        query = {"q": random.choice(TARGETS["queries"]), "format": "json"}
        response = self.page(f"/search/?{urlencode(query)}", "search (json)")
        if response is not None and "results" not in response.json():
            SCENARIO["search json without results key"] += 1


class Learner(Visitor):
    """Signs in, enrols, reads lessons, marks them done and takes each lesson's quiz once."""

    weight = 2
    think_time = (3, 10)
    wait_time = between(*think_time)

    def on_start(self):
        super().on_start()
        self.signed_in = False
        account = LEARNERS.take()
        if account is None:
            SCENARIO["learners without an account"] += 1
            return
        self.signed_in = self.sign_in(account)
        self.course = None
        self.position = 0
        self.enrolled = set()
        self.open_courses = [c for c in TARGETS["courses"] if not c["prerequisites"]]

    @task(6)
    def study(self):
        if not self.signed_in:
            return
        finished = self.course is None or self.position >= len(self.course["lessons"])
        if finished and not self.start_course():
            return
        lesson = self.course["lessons"][self.position]
        if self.page(lesson["url"], "lesson") is None:
            return
        if lesson["quiz"]:
            self.take_quiz(lesson)
        else:
            self.complete(lesson)
        self.position += 1

    def start_course(self) -> bool:
        choices = [c for c in self.open_courses if c["id"] not in self.enrolled]
        if not choices:
            SCENARIO["learner finished every open course"] += 1
            return False
        course = random.choice(choices)
        if self.page(course["url"], "course") is None:
            return False
        response = self.post(f"/learn/courses/{course['id']}/enrol/", "enrol", [])
        if response is None or self.follow(response, "course") is None:
            return False
        WRITES.record("enrolment", user=self.account["id"], course=course["id"])
        self.enrolled.add(course["id"])
        self.course, self.position = course, 0
        return True

    def complete(self, lesson):
        response = self.post(f"/learn/lessons/{lesson['id']}/complete/", "lesson complete", [])
        if response is None:
            return
        following = path_of(self.location(response))
        if following.split("?")[0] == lesson["url"]:
            SCENARIO["completion sent back to the lesson"] += 1
        landing = "course" if following == self.course["url"] else "lesson"
        if self.page(following, landing) is not None:
            WRITES.record("lesson_completion", user=self.account["id"], lesson=lesson["id"])

    def take_quiz(self, lesson):
        response = self.post(f"/learn/lessons/{lesson['id']}/quiz/", "quiz start", [])
        if response is None:
            return
        match = ATTEMPT_URL.search(path_of(self.location(response)))
        if match is None:
            self.page(path_of(self.location(response)), "lesson")
            SCENARIO["quiz refused"] += 1
            return
        attempt = f"/learn/attempts/{match.group(1)}/"
        form = self.page(attempt, "quiz form")
        if form is None:
            return
        answers, seen = [], {}
        for kind, field, value in QUIZ_INPUT.findall(form.text):
            seen.setdefault(field, []).append((kind, value))
        for field, options in seen.items():
            kind = options[0][0]
            if kind == "text":
                answers.append((field, "わからない"))
            elif kind == "checkbox":
                picked = random.sample(options, k=random.randint(1, len(options)))
                answers.extend((field, value) for _kind, value in picked)
            else:
                answers.append((field, random.choice(options)[1]))
        submitted = self.post(attempt, "quiz submit", answers)
        if submitted is None or self.follow(submitted, "quiz review") is None:
            return
        WRITES.record("quiz_attempt", user=self.account["id"], attempt=int(match.group(1)))

    @task(1)
    def my_learning(self):
        if self.signed_in:
            self.page("/learn/", "my learning")

    @task(1)
    def browse_course(self):
        self.page(random.choice(TARGETS["courses"])["url"], "course")


class QAMember(Visitor):
    """Asks, answers, votes up and down and accepts answers, within the hourly limits."""

    weight = 2
    think_time = (3, 10)
    wait_time = between(*think_time)

    def on_start(self):
        super().on_start()
        self.account = None
        self.asked: list[int] = []
        self.accepted: set[int] = set()
        self.switch_account()

    def switch_account(self) -> bool:
        account = MEMBERS.take()
        if account is None:
            SCENARIO["members out of fresh accounts"] += 1
            self.account = None
            return False
        self.asked, self.accepted = [], set()
        if not self.sign_in(account):
            self.account = None
            return False
        return True

    def budget(self, kind) -> bool:
        """Spends one of the account's hourly posts of this kind, moving to a fresh account when
        they are used up. False when no account can post now."""
        if self.account is None:
            return False
        limit = RATE_LIMITS.get(kind)
        if limit is not None and self.account["spent"][kind] >= limit:
            SCENARIO[f"{kind} budget spent: next account"] += 1
            if not self.switch_account():
                return False
        self.account["spent"][kind] += 1
        return True

    @task(2)
    def browse(self):
        self.question_list()

    @task(1)
    def ask(self):
        form = self.page("/questions/ask/", "ask form")
        if form is None:
            return
        topics = TOPIC_CHOICE.findall(form.text)
        subject = random.choice(TARGETS["queries"])
        self.page(f"/questions/similar/?{urlencode({'q': subject})}", "similar (json)")
        if not self.budget("question"):
            return
        mark = token()
        title = f"{subject}について、他の団体ではどう進めましたか（{mark}）"
        body = (
            f"人口3万人の町で情報担当は1人です。{subject}について、庁内の合意の取り方と、"
            f"最初に手を付けた業務を教えてください。\n\n- 予算規模\n- 期間\n\n{mark}"
        )
        fields = [("title", title), ("body", body)]
        fields += [("topics", pk) for pk in random.sample(topics, k=min(len(topics), 1))]
        response = self.post("/questions/ask/", "ask", fields)
        if response is None:
            return
        match = QUESTION_URL.search(path_of(self.location(response)))
        if match is None or self.follow(response, "question") is None:
            SCENARIO["ask did not lead to the question"] += 1
            return
        pk = int(match.group(1))
        WRITES.record("question", id=pk, user=self.account["id"], title=title)
        NEW_QUESTIONS.append({"id": pk, "author": self.account["id"]})
        self.asked.append(pk)

    def someone_elses_question(self):
        mine = self.account["id"] if self.account else None
        # The newest questions, as a member reading the "unanswered" tab finds them.
        fresh = [q["id"] for q in NEW_QUESTIONS[-10:] if q["author"] != mine]
        if fresh and random.random() < 0.7:
            return random.choice(fresh)
        return random.choice(TARGETS["questions"])

    @task(2)
    def answer(self):
        if self.account is None:
            return
        pk = self.someone_elses_question()
        if self.question(pk) is None or not self.budget("answer"):
            return
        mark = token()
        body = (
            "うちの市では、まず窓口の申請件数が多い手続きから始めました。"
            f"庁内の説明会を2回開き、半年で効果を測りました。{mark}"
        )
        response = self.post(f"/questions/{pk}/answer/", "answer", [("body", body)])
        if response is None:
            return
        match = ANSWER_URL.search(path_of(self.location(response)))
        if match is None or self.follow(response, "question") is None:
            SCENARIO["answer did not lead to the answer"] += 1
            return
        answer_id = int(match.group(2))
        WRITES.record("answer", id=answer_id, question=pk, user=self.account["id"], token=mark)
        NEW_ANSWERS.append({"id": answer_id, "question": pk, "author": self.account["id"]})

    @task(4)
    def vote(self):
        if self.account is None:
            return
        pk = self.someone_elses_question()
        response = self.question(pk)
        if response is None:
            return
        mine = self.account["id"]
        own = {("question", q["id"]) for q in NEW_QUESTIONS if q["author"] == mine}
        own |= {("answer", a["id"]) for a in NEW_ANSWERS if a["author"] == mine}
        candidates = [("question", pk)]
        candidates += [("answer", int(a)) for a in ANSWER_ARTICLE.findall(response.text)]
        candidates = [
            post for post in candidates if post not in own and post not in self.account["voted"]
        ]
        if not candidates:
            SCENARIO["nothing left to vote on"] += 1
            return
        if not self.budget("vote"):
            return
        kind, post = random.choice(candidates)
        value = "up" if random.random() < 0.75 else "down"
        response = self.post(
            f"/questions/{kind}/{post}/vote/",
            f"vote ({kind})",
            [("value", value)],
            expect=200,
            headers={"Accept": "application/json"},
        )
        if response is None:
            return
        outcome = response.json()
        self.account["voted"].add((kind, post))
        WRITES.record("vote", user=mine, post_kind=kind, post=post, value=outcome["vote"])

    @task(2)
    def accept(self):
        waiting = [pk for pk in self.asked if pk not in self.accepted]
        if not waiting:
            return
        pk = random.choice(waiting)
        response = self.question(pk)
        if response is None:
            return
        answers = [int(a) for a in ANSWER_ARTICLE.findall(response.text)]
        if not answers:
            SCENARIO["own question without answers yet"] += 1
            return
        chosen = random.choice(answers)
        response = self.post(f"/questions/answers/{chosen}/accept/", "accept", [])
        if response is None or self.follow(response, "question") is None:
            return
        self.accepted.add(pk)
        WRITES.record("accept", user=self.account["id"], question=pk, answer=chosen)


# --- the statistics run.py reads ------------------------------------------------------------


def _row(entry) -> dict:
    return {
        "name": entry.name,
        "method": entry.method,
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "rps": round(entry.total_rps, 2),
        "p50_ms": entry.get_response_time_percentile(0.5),
        "p95_ms": entry.get_response_time_percentile(0.95),
        "p99_ms": entry.get_response_time_percentile(0.99),
        "mean_ms": round(entry.avg_response_time, 1),
        "max_ms": round(entry.max_response_time),
    }


@events.quitting.add_listener
def write_statistics(environment, **_kwargs):
    stats = environment.stats
    rows = sorted(
        (_row(entry) for entry in stats.entries.values()), key=lambda r: (r["name"], r["method"])
    )
    exceptions = [
        {"count": item["count"], "msg": item["msg"], "traceback": item["traceback"][-600:]}
        for item in environment.runner.exceptions.values()
    ]
    classes = [AnonymousReader, Searcher, Learner, QAMember]
    STATS_FILE.write_text(
        json.dumps(
            {
                "requests": rows,
                "total": _row(stats.total),
                "duration_s": round(stats.last_request_timestamp - stats.start_time, 1)
                if stats.last_request_timestamp
                else 0,
                "errors": [
                    {
                        "method": error.method,
                        "name": error.name,
                        "error": str(error.error)[:300],
                        "occurrences": error.occurrences,
                    }
                    for error in stats.errors.values()
                ],
                "exceptions": exceptions,
                "scenario": dict(SCENARIO),
                "new_posts": {"questions": len(NEW_QUESTIONS), "answers": len(NEW_ANSWERS)},
                "rate_limits": RATE_LIMITS,
                "user_classes": {
                    cls.__name__: {
                        "weight": cls.weight,
                        "think_time_s": list(cls.think_time),
                        "does": cls.__doc__.strip(),
                    }
                    for cls in classes
                },
            },
            ensure_ascii=False,
            indent=1,
        )
    )
