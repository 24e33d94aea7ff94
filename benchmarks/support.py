"""What the benchmark scripts share: the project importable and Django set up outside
manage.py, and a gunicorn server on loopback that is started, awaited and stopped one way.

The scripts run as files (``python benchmarks/http_bench.py``), so this folder is first on
their path and ``import support`` finds this module; ``loadtest/run.py`` puts the folder there
itself.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"
PYTHON = Path(sys.executable)
BIN = PYTHON.parent

# The apps live in site/ (``site`` is a frozen standard-library module, so it cannot be a
# package) and curriculum/ at the top; manage.py orders them the same way.
PROJECT_PATHS = (ROOT / "site", ROOT)


def add_project_paths() -> None:
    """The project importable in this process (search.analysis needs no more than this)."""
    for path in reversed(PROJECT_PATHS):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))


def setup_django(**environ: str) -> None:
    """Django set up in this process. ``environ`` goes into os.environ first, where the
    settings read it; the development settings apply unless DJANGO_SETTINGS_MODULE names
    others, as with manage.py."""
    os.environ.update(environ)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    add_project_paths()
    import django

    django.setup()


# --- gunicorn -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop_process_group(process: subprocess.Popen | None, name: str, grace: float = 20) -> None:
    """SIGTERM to the process group it leads, SIGKILL after the grace period. Idempotent."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        print(f"  {name} did not stop within {grace:.0f} s: killing it", flush=True)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


class Gunicorn:
    """``gunicorn config.wsgi`` with sync workers on a free loopback port, ready once
    ``/healthz`` answers 200.

    It leads a process group of its own: stopping it reaches its workers too, and the
    benchmark, not a Ctrl-C at the terminal, decides when it stops (after reading its figures).
    Use it as a context manager, or call ``start`` and ``stop`` (which may be called again).
    """

    def __init__(
        self,
        env: dict[str, str],
        log: IO,
        workers: int,
        *,
        options: Sequence[str] = (),
        error_log: Path | None = None,
        ready_within: float = 120,
    ):
        self.env = env
        self.log = log
        self.workers = workers
        self.options = list(options)
        self.error_log = error_log
        self.ready_within = ready_within
        self.base_url = f"http://127.0.0.1:{free_port()}"
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def command(self) -> list[str]:
        command = [
            str(BIN / "gunicorn"),
            "config.wsgi",
            "--chdir",
            "site",
            "--bind",
            self.base_url.removeprefix("http://"),
            "--workers",
            str(self.workers),
            "--worker-class",
            "sync",
            *self.options,
        ]
        if self.error_log:
            command += ["--error-logfile", str(self.error_log)]
        return command

    def start(self) -> Gunicorn:
        self.process = subprocess.Popen(
            self.command(),
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_ready(self) -> None:
        where = self.error_log or self.log.name
        deadline = time.monotonic() + self.ready_within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited with status {self.process.returncode}; see {where}"
                )
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:  # refused while booting, or 503 until every check passes
                pass
            time.sleep(0.5)
        raise RuntimeError(
            f"gunicorn did not answer {self.base_url}/healthz within "
            f"{self.ready_within:.0f} s; see {where}"
        )

    def stop(self) -> None:
        stop_process_group(self.process, "gunicorn")

    def __enter__(self) -> Gunicorn:
        return self.start()

    def __exit__(self, *exception) -> None:
        self.stop()

    def _workers(self):
        import psutil

        try:
            return psutil.Process(self.pid).children()
        except psutil.NoSuchProcess:
            return []

    def worker_rss_mb(self) -> list[float]:
        """The resident set of each worker (the master serves nothing), in MB."""
        return [m["rss"] for m in self.worker_memory_mb()]

    def worker_memory_mb(self) -> list[dict[str, float]]:
        """Each worker's memory in MB: ``rss`` (every page it maps that is in memory, counting
        pages shared with the master and the other workers in full), ``pss`` (shared pages
        divided among the processes sharing them: what the worker really costs) and ``uss``
        (pages only it holds)."""
        import psutil

        sizes = []
        for worker in self._workers():
            try:
                info = worker.memory_full_info()
            except psutil.NoSuchProcess:
                continue
            sizes.append(
                {name: round(getattr(info, name) / 2**20, 1) for name in ("rss", "pss", "uss")}
            )
        return sizes

    def workers_cpu_seconds(self) -> float:
        """User and system CPU the workers have used so far."""
        import psutil

        total = 0.0
        for worker in self._workers():
            try:
                times = worker.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total
