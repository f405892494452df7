"""Local mode (no MicrosoftAppId) listens on loopback only, unless the operator opts in."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from frontoffice.cli import main
from frontoffice.exposure import exposure_warning, is_loopback
from frontoffice.settings import Settings
from servicedesk.errors import ConfigurationError

CLI = [sys.executable, "-m", "frontoffice.cli"]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "FRONTOFFICE_"))}
    env.update(FRONTOFFICE_DB_URL=f"sqlite:///{tmp_path / 'x.db'}", **extra)
    return env


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost", "::ffff:127.0.0.1"]
)
def test_loopback_addresses_are_loopback(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize(
    "host",
    [
        "0.0.0.0",
        "",
        "::",
        "10.0.0.5",
        "192.168.1.10",
        "fe80::1",
        "myserver",
        "localhost.evil.example",
    ],
)
def test_everything_else_is_not_loopback(host: str) -> None:
    assert not is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "", "::", "10.1.2.3"])
def test_serve_beyond_loopback_without_app_id_is_refused_with_exit_2(
    host: str, tmp_path: Path
) -> None:
    result = subprocess.run(
        [*CLI, "serve", "--host", host, "--port", "1"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "refusing to listen" in result.stderr
    assert "MicrosoftAppId" in result.stderr and "--insecure-no-auth" in result.stderr
    assert not (tmp_path / "x.db").exists()  # refused before anything was done


def test_the_environment_cannot_sneak_past_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in _env(tmp_path, FRONTOFFICE_HOST="0.0.0.0").items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("MicrosoftAppId", raising=False)
    assert main(["serve"]) == 2
    assert "refusing to listen on 0.0.0.0" in capsys.readouterr().err


def test_the_app_itself_refuses_the_unsafe_setting(sqlite_url: str) -> None:
    """Whatever starts the app (a worker, a test), create_app refuses it too."""
    from bot.app import create_app

    with pytest.raises(ConfigurationError, match="refusing to listen"):
        create_app(Settings(db_url=sqlite_url, host="0.0.0.0"))


def test_with_an_app_id_any_address_is_allowed() -> None:
    assert exposure_warning(Settings(host="0.0.0.0", app_id="an-app-id")) is None
    assert exposure_warning(Settings(host="127.0.0.1")) is None


def test_the_env_variable_opts_in_like_the_flag() -> None:
    settings = Settings.from_env({"FRONTOFFICE_HOST": "::", "FRONTOFFICE_INSECURE_NO_AUTH": "true"})
    warning = exposure_warning(settings)
    assert warning is not None and "not authenticated" in warning
    with pytest.raises(ConfigurationError):
        Settings.from_env({"FRONTOFFICE_INSECURE_NO_AUTH": "perhaps"})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
@pytest.mark.parametrize("opt_in", ["flag", "env"])
def test_insecure_no_auth_starts_and_warns_at_every_start(opt_in: str, tmp_path: Path) -> None:
    port = _free_port()
    extra = {"FRONTOFFICE_INSECURE_NO_AUTH": "true"} if opt_in == "env" else {}
    flags = ["--insecure-no-auth"] if opt_in == "flag" else []
    for _ in range(2):  # every start, not only the first
        process = subprocess.Popen(
            [*CLI, "serve", "--host", "0.0.0.0", "--port", str(port), *flags],
            env=_env(tmp_path, **extra),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            for _ in range(150):
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                        break
                except OSError:
                    time.sleep(0.1)
            else:
                pytest.fail("serve did not start")
        finally:
            process.terminate()
            _, log = process.communicate(timeout=10)
        assert '"level": "WARNING"' in log and "INSECURE: local mode listening on 0.0.0.0" in log
