"""Shared set-up for the real-browser test and benchmark.

A JupyterLab server on loopback (random port and token, throw-away settings, workspaces and
runtime folders), headless Chromium driven by Playwright, and the few page actions both users
need: open a notebook, run all cells, wait for the widgets.

Used by ``tests/test_browser.py`` and ``benchmarks/bench_browser.py``; nothing else imports it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import nbformat

CHROMIUM = Path(os.environ.get("ATTN_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Settings that JupyterLab reads from {app_settings_dir}/overrides.json.
LAB_OVERRIDES = {
    # No "would you like to receive news?" toast covering the notebook.
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    # Render every cell, so widgets below the fold exist in the DOM.
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
}

SERVER_START_TIMEOUT_S = 60
KERNEL_IDLE_TIMEOUT_S = 60


def missing_reason() -> str | None:
    """Why the browser cannot run here, or None when Chromium and Playwright are both present."""
    if not CHROMIUM.exists():
        return f"Chromium not found at {CHROMIUM} (Debian: apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Python package 'playwright' is not installed (pip install playwright; the browser comes from apt)"
    return None


def write_notebook(path: Path, sources: list[str], *, hide_inputs: bool = True) -> Path:
    """Write a notebook whose code cells are ``sources``, with the python3 kernel named in its metadata.

    Inputs are collapsed by default, so screenshots show the outputs (the widgets) rather than code.
    """
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in sources]
    if hide_inputs:
        for cell in nb.cells:
            cell.metadata["jupyter"] = {"source_hidden": True}
    nbformat.write(nb, path)
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LabServer:
    """A running ``jupyter lab`` whose files, settings and runtime state all live under ``base``."""

    def __init__(self, base: Path):
        self.base = Path(base)
        self.root = self.base / "notebooks"
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.base / "jupyterlab.log"
        self._runtime = self.base / "runtime"
        self.proc: subprocess.Popen | None = None

    # -- process ---------------------------------------------------------------------------------
    def start(self) -> None:
        app_settings = self.base / "app_settings"
        for folder in (
            self.root,
            app_settings,
            self.base / "config",
            self.base / "user_settings",
            self.base / "workspaces",
            self._runtime,
        ):
            folder.mkdir(parents=True, exist_ok=True)
        (app_settings / "overrides.json").write_text(json.dumps(LAB_OVERRIDES, indent=2))
        # Hermetic: no user-level config (~/.jupyter) or data (~/.local/share/jupyter) takes part, and
        # the "python3" kernel is this very interpreter (the one with attnlib installed).
        kernel_dir = self.base / "data" / "kernels" / "python3"
        kernel_dir.mkdir(parents=True, exist_ok=True)
        (kernel_dir / "kernel.json").write_text(
            json.dumps(
                {
                    "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                    "display_name": "Python 3 (ipykernel)",
                    "language": "python",
                }
            )
        )
        env = dict(os.environ)
        env.update(
            JUPYTER_CONFIG_DIR=str(self.base / "config"),
            JUPYTER_DATA_DIR=str(self.base / "data"),
            JUPYTER_RUNTIME_DIR=str(self._runtime),
            JUPYTERLAB_SETTINGS_DIR=str(self.base / "user_settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(self.base / "workspaces"),
            PYTHONUNBUFFERED="1",
        )
        cmd = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            f"--LabApp.app_settings_dir={app_settings}",
            "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",  # no PyPI look-ups from the extension manager
            "--ServerApp.terminals_enabled=False",
        ]
        if os.geteuid() == 0:  # containers and CI often run as root
            cmd.append("--allow-root")
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        # Own process group, so stop() can end the server and anything it spawned in one signal.
        self.proc = subprocess.Popen(
            cmd, cwd=self.root, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                self.api("status")
                return
            except OSError:
                time.sleep(0.25)
        raise RuntimeError(f"jupyter lab not ready after {SERVER_START_TIMEOUT_S} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """Shut kernels down, then end the server's process group (SIGTERM, then SIGKILL)."""
        if self.proc is None:
            return
        try:
            for kernel in self.api("kernels"):
                self.api(f"kernels/{kernel['id']}", method="DELETE")
        except (OSError, ValueError):
            pass
        for sig, wait_s in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(wait_s)
                break
            except subprocess.TimeoutExpired:
                continue
        self._kill_stray_kernels()
        self._log.close()
        self.proc = None

    def _kill_stray_kernels(self) -> None:
        """Kernels run in their own sessions; end any still pointing at this server's runtime folder."""
        marker = str(self._runtime).encode()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if marker in (entry / "cmdline").read_bytes():
                    os.kill(int(entry.name), signal.SIGKILL)
            except (OSError, ProcessLookupError):
                continue

    def log_tail(self, n_chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-n_chars:] if self.log_path.exists() else ""

    # -- REST ------------------------------------------------------------------------------------
    def api(self, path: str, method: str = "GET"):
        request = urllib.request.Request(
            f"{self.url}/api/{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            body = response.read()
        return json.loads(body) if body else None

    def wait_kernel_idle(self, timeout_s: float = KERNEL_IDLE_TIMEOUT_S, settle_s: float = 0.5) -> None:
        """Wait until there is a kernel and it has stayed idle for ``settle_s`` seconds."""
        deadline = time.monotonic() + timeout_s
        idle_since = None
        while time.monotonic() < deadline:
            try:
                kernels = self.api("kernels")
            except urllib.error.HTTPError:  # a kernel still starting can make this listing fail (500)
                kernels = None
            if kernels and all(k["execution_state"] == "idle" for k in kernels):
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since >= settle_s:
                    return
            else:
                idle_since = None
            time.sleep(0.1)
        raise TimeoutError(f"kernel not idle after {timeout_s} s: {self.api('kernels')}")

    def notebook_url(self, name: str) -> str:
        return f"{self.url}/lab/tree/{name}?token={self.token}"


@contextmanager
def lab_server(base: Path):
    """Start a LabServer under ``base``; always stop it, also when the body fails."""
    server = LabServer(base)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@contextmanager
def chromium_page(viewport=(1280, 1000)):
    """A Playwright page in Debian's headless Chromium (never a Playwright-downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            page.set_default_timeout(30_000)  # no single step may hang a test run
            yield page
        finally:
            browser.close()


def open_and_run_all(page, server: LabServer, notebook: str, ready_selector: str, timeout_s: float = 60) -> None:
    """Open ``notebook`` in JupyterLab, wait for its kernel, Run All Cells, wait for ``ready_selector``."""
    timeout_ms = timeout_s * 1000
    page.goto(server.notebook_url(notebook), timeout=timeout_ms)
    page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=timeout_ms)
    server.wait_kernel_idle(timeout_s)
    page.locator("#jp-MainMenu").get_by_text("Run", exact=True).click()
    page.locator(".lm-Menu-itemLabel").filter(has_text=re.compile(r"^Run All Cells$")).click()
    page.locator(ready_selector).first.wait_for(state="visible", timeout=timeout_ms)
    server.wait_kernel_idle(timeout_s)


def ci_requires_browser() -> bool:
    """True when env CI is set to a true value (GitHub Actions sets CI=true): a missing browser then fails."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


# Page-side stopwatch. arm_new_picture() starts watching the <img> matching a selector; after the next
# key press or pointer press, window.__attnPicture becomes {inputAt, srcAt, paintedAt} (performance.now()
# milliseconds): the input event's time stamp, when the img's src changed, and the first animation frame
# after the new picture was decoded, i.e. when it is on screen.
_ARM_JS = """
(sel) => {
  window.__attnPicture = null;
  const img = document.querySelector(sel);
  const old = img.src;
  let inputAt = null;
  const onInput = (e) => { if (inputAt === null) inputAt = e.timeStamp; };
  document.addEventListener("keydown", onInput, {capture: true, once: true});
  document.addEventListener("pointerdown", onInput, {capture: true, once: true});
  const observer = new MutationObserver(async () => {
    if (img.src === old) return;
    observer.disconnect();
    const srcAt = performance.now();
    await img.decode();
    await new Promise((r) => requestAnimationFrame(r));
    window.__attnPicture = {inputAt, srcAt, paintedAt: performance.now(), src: img.src};
  });
  observer.observe(img, {attributes: true, attributeFilter: ["src"]});
}
"""


def arm_new_picture(page, selector: str) -> None:
    """Start the page-side stopwatch on the <img> at ``selector``; call before the key press or click."""
    page.evaluate(_ARM_JS, selector)


def wait_new_picture(page, timeout_ms: float = 10_000) -> dict:
    """Wait until the armed <img> shows a new, decoded picture; return the stopwatch readings (ms)."""
    handle = page.wait_for_function("() => window.__attnPicture", timeout=timeout_ms)
    return handle.json_value()
