"""Start `web` as the Procfile does (gunicorn on a loopback port), for tests and benchmarks."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
SIGNING_SECRET = "0123456789abcdef0123456789abcdef"
BOT_TOKEN = "xoxb-test-token"


def procfile(process: str) -> list[str]:
    """The command line the Procfile gives `process` (web, worker or release)."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == process:
            argv = shlex.split(command)
            if argv[0] == "python":
                argv[0] = sys.executable
            elif argv[0] == "gunicorn":
                argv[0] = str(Path(sys.executable).with_name("gunicorn"))
            return argv
    raise KeyError(process)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def base_env(database_url: str, api_url: str, **extra: str) -> dict[str, str]:
    """The environment of a deployed process, on loopback, talking to a fake Slack."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DIGEST_"))}
    env.update(
        {
            "DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": api_url,
            "DEFAULT_BOARD": "WSCB",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(extra)
    return env


def release(env: dict[str, str], cwd: Path) -> None:
    """The Procfile's release step: migrations (and seeding an empty database)."""
    subprocess.run(procfile("release"), env=env, cwd=cwd, check=True, capture_output=True)


@dataclass
class WebServer:
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path
    _log: IO[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        """What the server has written to stderr so far."""
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


def start_web(env: dict[str, str], cwd: Path, *, port: int | None = None) -> WebServer:
    """gunicorn as the Procfile starts it, bound to loopback; returns once /healthz answers."""
    port = port or free_port()
    env = {**env, "PORT": str(port), "HOST": "127.0.0.1"}
    log_path = cwd / f"web-{port}.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(procfile("web"), env=env, cwd=ROOT, stdout=log, stderr=log)
    server = WebServer(proc, port, log_path, log)
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=2):
                return server
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"web did not start:\n{server.log()}") from None
            time.sleep(0.1)


def signature_headers(body: bytes, *, secret: str = SIGNING_SECRET) -> dict[str, str]:
    """X-Slack-Request-Timestamp and X-Slack-Signature as Slack computes them."""
    timestamp = str(int(time.time()))
    base = b"v0:" + timestamp.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest}"}


def post(
    url: str, body: bytes, content_type: str, headers: dict[str, str] | None = None
) -> tuple[int, str]:
    """POST and return (status, body text); HTTP errors are answers too."""
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": content_type, **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


TRACEBACK = re.compile(r"Traceback|File \"")
