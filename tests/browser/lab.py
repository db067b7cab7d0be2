"""A real JupyterLab server and Debian's Chromium for the browser tests.

:func:`start_lab` starts ``jupyter lab`` on loopback with its own configuration folder and waits
(a generous bound: on a loaded 2-core machine JupyterLab can take a minute importing its
extensions) until its REST API answers, then yields a :class:`Lab`. When it does not come up,
the failure says what was waited for, for how long, and the server's last log lines.

:func:`chromium` finds the browser: ``$NNMATH_CHROMIUM``, else Debian's ``chromium``
(``make browser`` installs it as root); Playwright drives it through ``executable_path`` and
downloads nothing.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
#: How long a JupyterLab server may take to answer its API (seen: > 60 s on a busy machine).
LAB_START_TIMEOUT_S = float(os.environ.get("NNMATH_LAB_START_TIMEOUT_S", 240))
#: Where screenshots go (the README's come from here; the folder is gitignored).
SCREENSHOTS = Path(os.environ.get("NNMATH_SCREENSHOT_DIR", Path(__file__).resolve().parents[2] / "screenshots"))


def chromium() -> str:
    path = os.environ.get("NNMATH_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("no Chromium: install Debian's package (`apt-get install chromium`; `make test` does it as root) "
                    "or set NNMATH_CHROMIUM to its path")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab: its base ``url``, ``token`` and served ``root``."""

    url: str
    token: str
    root: Path
    log: Path

    @property
    def auth_header(self) -> dict:
        """The HTTP header that authenticates every request of a browser context."""
        return {"Authorization": f"token {self.token}"}

    def page_url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.url}/{path.lstrip('/')}{sep}token={self.token}"

    def get(self, path: str) -> tuple[int, str]:
        """``(status, body)`` of a GET on the server (an HTTP error's status, not an exception)."""
        try:
            with urllib.request.urlopen(self.page_url(path), timeout=30) as r:
                return r.status, r.read().decode(errors="replace")
        except urllib.error.HTTPError as e:
            return e.code, ""


def wait_until_up(url, token, server, log_path, what):
    start = time.monotonic()
    last = "no answer yet"
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5) as r:
                if r.status == 200:
                    return time.monotonic() - start
        except OSError as exc:
            last = f"{type(exc).__name__}: {exc}"
        waited = time.monotonic() - start
        if server.poll() is not None or waited > LAB_START_TIMEOUT_S:
            state = (f"exited with {server.returncode}" if server.poll() is not None
                     else f"still running after {waited:.0f} s (limit NNMATH_LAB_START_TIMEOUT_S="
                          f"{LAB_START_TIMEOUT_S:.0f})")
            pytest.fail(f"{what}: JupyterLab's API ({url}/api/status) did not answer; the server {state}; "
                        f"last attempt: {last}\n--- its log ---\n{Path(log_path).read_text()[-3000:]}")
        time.sleep(0.5)


@contextlib.contextmanager
def start_lab(root: Path, home: Path, env: dict | None = None, what: str = "JupyterLab",
              args: tuple[str, ...] = ()):
    """Run ``jupyter lab`` serving ``root`` (its cwd too), configured from ``home``.

    ``home/config`` is its ``JUPYTER_CONFIG_DIR`` (write it before), ``home/runtime`` its runtime
    folder; the user settings are ``home/config/lab/user-settings``.
    """
    port, token = free_port(), secrets.token_hex(16)
    home.mkdir(parents=True, exist_ok=True)
    settings = home / "config" / "lab" / "user-settings"
    news = settings / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True, exist_ok=True)
    if not (news / "notification.jupyterlab-settings").exists():   # no news fetch (no internet here)
        (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false", "checkForUpdates": false}')
    # JupyterLab's default windowing ("defer") attaches cells outside the viewport only when the
    # CPU is idle: attach every cell, so what is checked is the notebook, not the load.
    tracker = settings / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True, exist_ok=True)
    (tracker / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    full_env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
                    JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
                    MPLBACKEND="module://matplotlib_inline.backend_inline", **(env or {}))
    log_path = home / "lab.log"
    log = open(log_path, "w")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
         f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         "--LabApp.expose_app_in_browser=True", f"--LabApp.user_settings_dir={settings}", *args],
        env=full_env, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, token, server, log_path, what)
        yield Lab(url, token, Path(root), log_path)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@contextlib.contextmanager
def chromium_browser():
    """A headless Debian Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_FLAGS)
        try:
            yield b
        finally:
            b.close()


def shot(page, name: str) -> Path:
    """Save a screenshot of ``page`` as ``SCREENSHOTS/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
