"""A minimal Chrome DevTools Protocol driver: start Debian's headless Chromium, open pages,
evaluate JavaScript, collect console errors.

Raw CDP over one WebSocket per page (the `websocket-client` package), so nothing downloads a
browser of its own. Used by the browser tests (tests/browser) and the page benchmark
(benches/html_page.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import websocket

# The machine's network is closed: without these flags Chromium stalls or fails at start on
# background fetches (component updates, sync, QUIC probes).
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--remote-debugging-port=0",
    "--remote-allow-origins=*",
]


def find_chromium() -> str | None:
    """The Chromium executable: $CHROMIUM, else chromium on PATH."""
    exe = os.environ.get("CHROMIUM") or shutil.which("chromium")
    return exe if exe and os.access(exe, os.X_OK) else None


class Chromium:
    """A headless Chromium with a fresh profile, stopped by `close`."""

    def __init__(self, exe: str, timeout: float = 60.0):
        self.profile = tempfile.TemporaryDirectory(prefix="neardup-chromium-")
        self.log = open(Path(self.profile.name) / "stderr.log", "wb")
        self.proc = subprocess.Popen(
            [exe, *FLAGS, f"--user-data-dir={self.profile.name}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        port_file = Path(self.profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not port_file.exists() or not port_file.read_text().strip():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"Chromium did not start: see {exe} --headless output")
            time.sleep(0.05)
        self.port = int(port_file.read_text().split()[0])

    def _http(self, path: str, method: str = "GET"):
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method)
        # The debugging endpoint is on loopback: never go through a proxy for it.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(req, timeout=30) as resp:
            return json.loads(resp.read().decode())

    def new_page(self) -> "Page":
        target = self._http("/json/new?about:blank", method="PUT")
        return Page(self, target["id"], target["webSocketDebuggerUrl"])

    def close_target(self, target_id: str) -> None:
        try:
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            opener.open(f"http://127.0.0.1:{self.port}/json/close/{target_id}", timeout=10).read()
        except OSError:
            pass

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        self.profile.cleanup()


class CdpError(RuntimeError):
    pass


class Page:
    """One tab, driven over its own WebSocket."""

    def __init__(self, browser: Chromium, target_id: str, ws_url: str):
        self.browser = browser
        self.target_id = target_id
        self.ws = websocket.create_connection(ws_url, timeout=120, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict] = []
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")

    def close(self) -> None:
        self.ws.close()
        self.browser.close_target(self.target_id)

    def _recv(self) -> dict:
        msg = json.loads(self.ws.recv())
        if "id" not in msg:
            self.events.append(msg)
        return msg

    def send(self, method: str, **params) -> dict:
        self.next_id += 1
        want = self.next_id
        self.ws.send(json.dumps({"id": want, "method": method, "params": params}))
        while True:
            msg = self._recv()
            if msg.get("id") == want:
                if "error" in msg:
                    raise CdpError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def wait_event(self, method: str, timeout: float = 120.0) -> dict:
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for i in range(seen, len(self.events)):
                if self.events[i]["method"] == method:
                    return self.events.pop(i)
            seen = len(self.events)
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {method} within {timeout} s")
            self._recv()

    def navigate(self, url: str, timeout: float = 120.0) -> None:
        self.events.clear()
        result = self.send("Page.navigate", url=url)
        if result.get("errorText"):
            raise CdpError(f"cannot open {url}: {result['errorText']}")
        self.wait_event("Page.loadEventFired", timeout)

    def eval(self, expression: str):
        result = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise CdpError(f"{expression!r}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_until(self, expression: str, timeout: float = 60.0):
        deadline = time.monotonic() + timeout
        while True:
            value = self.eval(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"{expression!r} still false after {timeout} s")
            time.sleep(0.02)

    def type_into(self, selector: str, text: str) -> None:
        """Focus the element and type `text` as a user would (input events included)."""
        self.eval(f"(e => {{ e.focus(); e.select(); }})(document.querySelector({json.dumps(selector)}))")
        if text:
            self.send("Input.insertText", text=text)
        else:
            self.send("Input.dispatchKeyEvent", type="keyDown", key="Backspace",
                      code="Backspace", windowsVirtualKeyCode=8)
            self.send("Input.dispatchKeyEvent", type="keyUp", key="Backspace",
                      code="Backspace", windowsVirtualKeyCode=8)

    def errors(self) -> list[str]:
        """Uncaught exceptions, console.error/assert calls and error log entries so far."""
        out = []
        for e in self.events:
            p = e.get("params", {})
            if e["method"] == "Runtime.exceptionThrown":
                out.append(json.dumps(p.get("exceptionDetails"))[:500])
            elif e["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(json.dumps(p.get("args"))[:500])
            elif e["method"] == "Log.entryAdded" and p["entry"].get("level") == "error":
                out.append(p["entry"].get("text", "")[:500])
        return out
