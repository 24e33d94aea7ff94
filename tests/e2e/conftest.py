"""Browser journeys: Debian's Chromium, driven by pip's Playwright, against a real server.

The server is started once per test session as a separate process on a free loopback port, with
its own SQLite database, search index and signing keys in a temporary folder, filled by
`load_demo` (so the journeys meet the site an official meets). Its e-mail is written to files
(`filemail`), which the journeys read as an outbox. A failing journey leaves a screenshot and the
page's HTML in `var/e2e-failures/<test name>/`.

Without Chromium (or Playwright) every test here is skipped with the reason and how to enable
them: `apt-get install chromium chromium-driver fonts-ipafont-gothic`.
"""

from __future__ import annotations

import email
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
FAILURES = ROOT / "var" / "e2e-failures"
PASSWORD = "cio-demo-2026"
ENABLE = (
    "install Debian's Chromium to run them: apt-get install chromium chromium-driver "
    "fonts-ipafont-gothic (see README, 'Browser tests')"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    url: str
    var: Path
    process: subprocess.Popen

    @property
    def mail_dir(self) -> Path:
        return self.var / "mail"

    def outbox(self) -> list[email.message.Message]:
        """Every e-mail the server has sent so far, oldest first. Read as bytes: Japanese mail
        is sent 8-bit, which a message parsed from text would garble."""
        messages = []
        if not self.mail_dir.is_dir():
            return messages
        for path in sorted(self.mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime):
            # Django's file backend separates messages with a line of 79 dashes.
            for chunk in path.read_bytes().split(b"-" * 79):
                if chunk.strip():
                    messages.append(email.message_from_bytes(chunk.strip()))
        return messages

    def mail_to(self, address: str) -> list[str]:
        """The bodies of the e-mails sent to `address`, decoded."""
        bodies = []
        for message in self.outbox():
            if address not in (message.get("To") or ""):
                continue
            for part in message.walk():
                if part.get_content_type() == "text/plain":
                    payload = part.get_payload(decode=True)
                    bodies.append(payload.decode(part.get_content_charset() or "utf-8"))
        return bodies

    def manage(self, *args: str) -> str:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=_server_env(self.var, self.url),
            check=True,
            capture_output=True,
            text=True,
        ).stdout


def _server_env(var: Path, url: str) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DEBUG="0",
        VAR_DIR=str(var),
        # Always its own SQLite file, even when the suite itself runs on PostgreSQL.
        DATABASE_URL=f"sqlite:///{var / 'db.sqlite3'}",
        # Four slashes: the URL's path is absolute.
        EMAIL_URL=f"filemail:///{var / 'mail'}",
        TASKS_BACKEND="immediate",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        CREDENTIALS_BASE_URL=url,
        WAGTAILADMIN_BASE_URL=url,
        REDIS_URL="",
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture(scope="session")
def chromium_path():
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium is not at {CHROMIUM}: the browser tests are skipped; {ENABLE}")
    try:
        import playwright  # noqa: F401
    except ImportError:
        pytest.skip(f"Playwright is not installed (pip install -e '.[test]'); {ENABLE}")
    return CHROMIUM


@pytest.fixture(scope="session")
def server(chromium_path, tmp_path_factory):
    var = tmp_path_factory.mktemp("e2e-site")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = _server_env(var, url)
    log = (var / "server.log").open("w")
    for command in (["migrate", "--noinput"], ["credential_keys"], ["load_demo"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the test server did not start; see {var / 'server.log'}")
        time.sleep(0.5)
    yield Server(url=url, var=var, process=process)
    process.terminate()
    process.wait(timeout=10)
    log.close()


@pytest.fixture(scope="session")
def browser(chromium_path):
    # The journeys reach the site over HTTP and `server.manage`, never through Django in this
    # process, so Playwright's event loop here meets no database call.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(chromium_path), args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser, server):
    context = browser.new_context(
        base_url=server.url, locale="ja-JP", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(context, request):
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.js_errors = errors
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        folder = FAILURES / re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        try:
            page.screenshot(path=str(folder / "screenshot.png"), full_page=True)
            (folder / "page.html").write_text(page.content(), encoding="utf-8")
        except Exception as error:  # the page may be gone; the report says why the test failed
            (folder / "capture-error.txt").write_text(str(error))
        print(f"\nScreenshot and HTML of the failing page: {folder}")


def login(page, email_address: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email_address)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, f"could not sign in as {email_address}"


@pytest.fixture
def as_user(page):
    """as_user("learner@example.jp") signs the page in as a demo account."""

    def sign_in(email_address: str, password: str = PASSWORD):
        login(page, email_address, password)
        return page

    return sign_in
