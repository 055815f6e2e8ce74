"""Headless Chromium for the chart tests: screenshots from the command line, and a page driven over CDP.

The DevTools protocol is spoken over a plain websocket (the ``websockets`` package comes with
uvicorn[standard]), so no browser-automation dependency is needed. Chromium is found on the PATH;
tests skip with the reason when it is missing or cannot start (CI installs it with apt).
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from PIL import Image
from websockets.sync.client import connect

from tests.conftest import free_port, stop_process

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--window-size=1200,900"]


def chromium() -> str:
    """The browser binary, or skip the test saying why."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            done = subprocess.run([path, "--headless", "--no-sandbox", "--version"], capture_output=True, text=True)
            if done.returncode == 0:
                return path
            pytest.skip(f"{path} does not start: {done.stderr.strip()[:200]}")
    pytest.skip("chromium is not installed (apt-get install -y chromium)")


def screenshot(url: str, out: Path, budget_ms: int = 10000) -> Image.Image:
    """Load ``url``, let scripts run for ``budget_ms`` of virtual time, and return the PNG it wrote."""
    subprocess.run(
        [chromium(), *FLAGS, f"--virtual-time-budget={budget_ms}", f"--screenshot={out}", url],
        capture_output=True,
        timeout=120,
        check=True,
    )
    return Image.open(out).convert("RGB")


def dump_dom(url: str, budget_ms: int = 10000) -> str:
    done = subprocess.run(
        [chromium(), *FLAGS, f"--virtual-time-budget={budget_ms}", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


def inked(image: Image.Image, box: tuple[int, int, int, int], colour: tuple[int, int, int] | None = None) -> int:
    """Pixels in ``box`` that are not near-white, or near ``colour`` when given."""
    data = image.crop(box).tobytes()
    pixels = zip(data[0::3], data[1::3], data[2::3], strict=True)
    if colour is None:
        return sum(1 for p in pixels if min(p) < 230)
    return sum(1 for p in pixels if all(abs(a - b) < 40 for a, b in zip(p, colour, strict=True)))


class Page:
    """One Chromium tab driven over the DevTools protocol inside ``connect()``; closed (by its pid) with ``close``."""

    def __init__(self) -> None:
        port = free_port()
        self.profile = tempfile.TemporaryDirectory(ignore_cleanup_errors=True)  # chromium may still be writing
        self.process = subprocess.Popen(
            [
                chromium(),
                *FLAGS,
                f"--remote-debugging-port={port}",
                f"--user-data-dir={self.profile.name}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                tabs = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=1).json()
                target = next(t for t in tabs if t["type"] == "page")
                break
            except (httpx.TransportError, StopIteration):
                if time.monotonic() > deadline:
                    self.close()
                    raise RuntimeError("chromium did not open its DevTools port") from None
                time.sleep(0.2)
        self.websocket_url = target["webSocketDebuggerUrl"]
        self.ids = itertools.count(1)

    @contextmanager
    def connect(self):
        """The DevTools connection; ``send`` and everything built on it work inside this block."""
        with connect(self.websocket_url, max_size=None) as socket:
            self.socket = socket
            yield self

    def send(self, method: str, **params) -> dict:
        message_id = next(self.ids)
        self.socket.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            reply = json.loads(self.socket.recv(timeout=60))
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {expression}")

    def open(self, url: str) -> None:
        self.send("Page.enable")
        self.send("Page.navigate", url=url)
        self.wait_for("document.readyState === 'complete'")

    def click(self, x: float, y: float) -> None:
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def screenshot(self) -> Image.Image:
        data = self.send("Page.captureScreenshot", format="png")["data"]
        return Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB")

    def close(self) -> None:
        stop_process(self.process)
        self.profile.cleanup()
