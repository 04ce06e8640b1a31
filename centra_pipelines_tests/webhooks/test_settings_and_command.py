"""Receiver settings from the environment and flags, and the `centra-webhooks` command."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from centra_pipelines.webhooks.server import main
from centra_pipelines.webhooks.settings import ReceiverSettings, SettingsError
from centra_pipelines_tests.webhooks.helpers import SECRET, deliver, integration_events

ENV = {
    "CENTRA_WEBHOOK_SECRET": "from-env",
    "CENTRA_WEBHOOK_INBOX_URL": "sqlite:////var/lib/centra/inbox.sqlite",
    "CENTRA_WEBHOOK_TOLERANCE_SECONDS": "120",
    "CENTRA_WEBHOOK_MAX_BODY_BYTES": "2048",
}


def test_settings_come_from_the_environment():
    settings = ReceiverSettings.from_env(ENV)
    assert settings.secret == "from-env"
    assert settings.inbox_url == "sqlite:////var/lib/centra/inbox.sqlite"
    assert (settings.tolerance_seconds, settings.max_body_bytes) == (120, 2048)
    assert (settings.host, settings.port, settings.path) == ("127.0.0.1", 8070, "/centra/webhooks")


def test_flags_override_the_environment_and_absent_flags_do_not():
    settings = ReceiverSettings.from_env(ENV, secret="from-flag", port=9000, tolerance_seconds=None)
    assert (settings.secret, settings.port, settings.tolerance_seconds) == ("from-flag", 9000, 120)


def test_defaults_put_the_inbox_under_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = ReceiverSettings.from_env({"CENTRA_WEBHOOK_SECRET": "s"})
    expected = (tmp_path / ".centra" / "webhook-inbox.sqlite").resolve()
    assert settings.inbox_url == f"sqlite:///{expected}"
    assert Path(settings.inbox_url.removeprefix("sqlite:///")).is_absolute()
    assert (settings.tolerance_seconds, settings.max_body_bytes) == (300, 1024 * 1024)


@pytest.mark.parametrize("environ", [{}, {"CENTRA_WEBHOOK_SECRET": "  "}])
def test_no_secret_no_receiver(environ):
    with pytest.raises(SettingsError, match="CENTRA_WEBHOOK_SECRET"):
        ReceiverSettings.from_env(environ)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"CENTRA_WEBHOOK_TOLERANCE_SECONDS": "5min"}, "CENTRA_WEBHOOK_TOLERANCE_SECONDS"),
        ({"CENTRA_WEBHOOK_MAX_BODY_BYTES": "1MB"}, "CENTRA_WEBHOOK_MAX_BODY_BYTES"),
        ({"CENTRA_WEBHOOK_TOLERANCE_SECONDS": "0"}, "tolerance_seconds"),
    ],
)
def test_bad_numbers_are_named(changes, message):
    with pytest.raises(SettingsError, match=message):
        ReceiverSettings.from_env({**ENV, **changes})


def test_the_secret_stays_out_of_repr():
    assert "from-env" not in repr(ReceiverSettings.from_env(ENV))


def test_command_refuses_to_start_without_a_secret(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("CENTRA_WEBHOOK_SECRET", raising=False)
    monkeypatch.chdir(tmp_path)

    assert main(["--port", "0"]) == 2

    assert "CENTRA_WEBHOOK_SECRET" in capsys.readouterr().err
    assert not (tmp_path / ".centra").exists()


def start_command(tmp_path) -> subprocess.Popen:
    inbox = tmp_path / "inbox.sqlite"
    command = [sys.executable, "-m", "centra_pipelines.webhooks", "--port", "0"]
    return subprocess.Popen(
        [*command, "--inbox-url", f"sqlite:///{inbox}", "--tolerance-seconds", "60"],
        cwd=tmp_path,
        env={**os.environ, "CENTRA_WEBHOOK_SECRET": SECRET},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop_command(process: subprocess.Popen, stop_signal: int) -> tuple[str, str]:
    process.send_signal(stop_signal)
    try:
        return process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_command_serves_until_signalled(tmp_path, stop_signal):
    process = start_command(tmp_path)
    try:
        first_line = process.stdout.readline()
        url = first_line.split(" listening on ")[1].split()[0]
        response = deliver(url, integration_events(1))
    finally:
        out, err = stop_command(process, stop_signal)

    assert response.status_code == 200
    assert process.returncode == 0, err
    assert "centra-webhooks stopped" in out
    assert SECRET not in first_line + out + err


def test_command_stops_on_a_signal_that_arrives_while_it_starts(tmp_path):
    process = start_command(tmp_path)
    process.stdout.readline()

    out, err = stop_command(process, signal.SIGTERM)

    assert process.returncode == 0, err
    assert "centra-webhooks stopped" in out
