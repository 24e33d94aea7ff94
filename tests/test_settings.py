import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_manage(*args, env_overrides):
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env(tmp_path, **extra):
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "cio-academy.example.jp",
        "CREDENTIALS_BASE_URL": "https://cio-academy.example.jp",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy-check.sqlite3'}",
        **extra,
    }


def test_production_settings_pass_the_deploy_check_with_no_warnings(tmp_path):
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", env_overrides=production_env(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_settings_refuse_a_weak_secret_key(tmp_path):
    result = run_manage("check", env_overrides=production_env(tmp_path, SECRET_KEY="short"))
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_settings_refuse_to_sign_credentials_for_a_placeholder_address(tmp_path):
    for address in ("", "http://127.0.0.1:8000"):
        overrides = production_env(tmp_path, CREDENTIALS_BASE_URL=address)
        result = run_manage("check", env_overrides=overrides)
        assert result.returncode != 0
        assert "CREDENTIALS_BASE_URL" in result.stderr


def test_development_settings_fail_the_deploy_check(tmp_path):
    """The deploy check is a real gate: the development settings do not pass it."""
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_overrides={
            "DJANGO_SETTINGS_MODULE": "config.settings.dev",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'dev.sqlite3'}",
        },
    )
    assert result.returncode != 0
    assert "security.W018" in result.stderr + result.stdout  # DEBUG on


def test_production_settings_send_every_security_header_and_secure_cookies(tmp_path):
    script = (
        "from django.conf import settings as s; import json; print(json.dumps({"
        "'hsts': s.SECURE_HSTS_SECONDS, 'subdomains': s.SECURE_HSTS_INCLUDE_SUBDOMAINS,"
        "'ssl_redirect': s.SECURE_SSL_REDIRECT, 'session_secure': s.SESSION_COOKIE_SECURE,"
        "'csrf_secure': s.CSRF_COOKIE_SECURE, 'session_httponly': s.SESSION_COOKIE_HTTPONLY,"
        "'nosniff': s.SECURE_CONTENT_TYPE_NOSNIFF, 'referrer': s.SECURE_REFERRER_POLICY,"
        "'frame': s.X_FRAME_OPTIONS, 'debug': s.DEBUG, 'mfa': s.MFA_REQUIRED_FOR_STAFF,"
        "'middleware': s.MIDDLEWARE}))"
    )
    result = run_manage("shell", "-c", script, env_overrides=production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["hsts"] >= 60 * 60 * 24 * 365
    assert values["subdomains"] and values["ssl_redirect"]
    assert values["session_secure"] and values["csrf_secure"] and values["session_httponly"]
    assert values["nosniff"] and values["referrer"] == "same-origin"
    assert values["frame"] == "DENY" and not values["debug"]
    assert values["mfa"] is True
    assert "core.security.ContentSecurityPolicyMiddleware" in values["middleware"]
    assert "core.security.PermissionsPolicyMiddleware" in values["middleware"]


def test_the_base_urls_follow_the_port_make_run_serves_on(tmp_path):
    """`PORT=8201 make run`: e-mails, the API, credential ids and the issuer name port 8201."""
    code = (
        "from django.conf import settings as s; import json; "
        "print(json.dumps([s.WAGTAILADMIN_BASE_URL, s.WAGTAILAPI_BASE_URL, "
        "s.CREDENTIALS_BASE_URL]))"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"WAGTAILADMIN_BASE_URL", "CREDENTIALS_BASE_URL"}
    }
    result = run_manage(
        "shell",
        "-c",
        code,
        env_overrides={
            **env,
            "DJANGO_SETTINGS_MODULE": "config.settings.dev",
            "PORT": "8201",
            "VAR_DIR": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == ["http://127.0.0.1:8201"] * 3


def test_make_run_passes_the_port_to_the_site():
    plan = subprocess.run(
        ["make", "-n", "run", "PORT=8201"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert plan.returncode == 0, plan.stderr
    assert "runserver 127.0.0.1:8201" in plan.stdout
    makefile = (ROOT / "Makefile").read_text()
    assert "\nexport PORT\n" in makefile
