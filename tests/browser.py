"""A real browser for the console's tests: Debian's Chromium driven by playwright-core
through e2e/console.cjs, one JSON step at a time, so that a test can check the server
between two clicks."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "e2e" / "console.cjs"
NODE_MODULES = ROOT / "e2e" / "node_modules"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))


def browser_missing() -> str | None:
    """Why no browser test can run here, or None."""
    if not (NODE_MODULES / "playwright-core").exists():
        return f"{NODE_MODULES} missing: run `make e2e/node_modules` (npm ci --prefix e2e)"
    if shutil.which("node") is None:
        return "node is not on PATH"
    if not CHROMIUM.exists():
        return f"Chromium is missing at {CHROMIUM}: `apt-get install chromium` (make test does)"
    return None


class Browser:
    """One Chromium page. Every call sends a step and returns the script's answer; a
    step that fails in the page fails the test with the page's text."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process

    @classmethod
    async def start(cls, outdir: Path) -> Browser:
        process = await asyncio.create_subprocess_exec(
            shutil.which("node") or "node",
            str(SCRIPT),
            str(outdir),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=ROOT,
        )
        browser = cls(process)
        ready = await browser._answer()
        assert ready.get("ready"), ready
        return browser

    async def _answer(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = await asyncio.wait_for(self._process.stdout.readline(), timeout=60)
        if not line:
            raise AssertionError("the browser script stopped")
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def step(self, **step: Any) -> dict[str, Any]:
        assert self._process.stdin is not None
        self._process.stdin.write((json.dumps(step) + "\n").encode())
        await self._process.stdin.drain()
        answer = await self._answer()
        if answer.get("error"):
            pytest.fail(f"browser step {step} failed: {answer['error']}\n{answer.get('page', '')}")
        assert not answer.get("csp_violations"), answer["csp_violations"]
        return answer

    async def goto(self, url: str) -> dict[str, Any]:
        return await self.step(goto=url)

    async def fill(self, selector: str, value: str) -> None:
        await self.step(fill=selector, value=value)

    async def click(self, selector: str) -> dict[str, Any]:
        return await self.step(click=selector)

    async def check(self, selector: str) -> None:
        await self.step(check=selector)

    async def select(self, selector: str, value: str) -> None:
        await self.step(select=selector, value=value)

    async def text(self, selector: str = "main") -> str:
        return str((await self.step(text=selector))["text"])

    async def shot(self, name: str) -> Path:
        return Path((await self.step(shot=name))["file"])

    async def close(self) -> None:
        if self._process.returncode is None:
            assert self._process.stdin is not None
            self._process.stdin.write(b'{"quit": true}\n')
            await self._process.stdin.drain()
            try:
                await asyncio.wait_for(self._process.wait(), timeout=20)
            except TimeoutError:
                self._process.kill()
                await self._process.wait()
