"""Running `python -m cxloop` as a real subprocess: one-shot commands and a server on a free port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx

__all__ = ["CxloopServer", "clean_env", "free_port", "run_cxloop"]

# Generous: the suite runs on a slow shared 2-core machine where importing cxloop alone takes seconds.
STARTUP_TIMEOUT = 120.0
COMMAND_TIMEOUT = 300.0


def clean_env(**extra: str) -> dict[str, str]:
    """The parent's environment without any CXLOOP_* setting, plus `extra`: each test says what it uses."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CXLOOP_")}
    env["NO_PROXY"] = "127.0.0.1,localhost"
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_cxloop(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = COMMAND_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """`python -m cxloop ARGS` to completion, with its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "cxloop", *args],
        env=env if env is not None else clean_env(),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class CxloopServer:
    """`python -m cxloop --data-dir DIR serve` on 127.0.0.1, logging to a file next to the data.

    Output goes to a file rather than a pipe: uvicorn logs every request, and an unread pipe would
    eventually block the server.
    """

    def __init__(self, data_dir: Path, *, env: dict[str, str] | None = None, name: str = "server") -> None:
        self.data_dir = data_dir
        self.env = env if env is not None else clean_env()
        self.log_path = data_dir.parent / f"{name}.log"
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = STARTUP_TIMEOUT) -> Self:
        self.port = free_port()
        command = [sys.executable, "-m", "cxloop", "--data-dir", str(self.data_dir), "serve", "--port", str(self.port)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"the cxloop server exited with code {self.process.returncode} while starting:\n{self.log_tail()}"
                )
            try:
                if httpx.get(self.url + "/healthz", timeout=5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.kill()
        raise AssertionError(f"the cxloop server did not answer /healthz within {timeout:.0f} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash. Reaps the process so its pid is really gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=60)

    def stop(self, timeout: float = 60.0) -> None:
        """A clean shutdown (SIGTERM), falling back to SIGKILL."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_tail(self, lines: int = 40) -> str:
        return _tail(self.log_path, lines)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
