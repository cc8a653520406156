"""PNG of a page or SVG through headless Chromium (Debian packages chromium + fonts-noto-cjk, installed by
tools/ensure-browser.sh). No network: background networking off and every host name resolves to nothing.

Every headless Chromium ChainMatch starts — these PNGs and the 企业尽调 PDF (dossier/pdf.py) — runs through
`run_chromium`, which lets at most `limit` of them run at once in the process (Settings.render.chromium_concurrency):
one browser takes a few hundred MB and a core for seconds, and the PDF export is open to anonymous callers, so a
request over the limit is answered at once with BrowserBusy (503, Retry-After) instead of queueing more browsers."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from kernel.errors import ChainMatchError

CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-dev-shm-usage", "--hide-scrollbars", "--no-first-run", "--mute-audio",
                  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")


RETRY_AFTER_S = 5  # a render takes a few seconds


class BrowserMissing(RuntimeError):
    pass


class BrowserBusy(ChainMatchError):
    """Every Chromium slot is taken: the caller should retry shortly (503 with Retry-After)."""

    status = 503

    def __init__(self, limit: int):
        super().__init__(f"忙，请稍后再试：已有 {limit} 个浏览器渲染任务在运行（PDF/PNG），请 {RETRY_AFTER_S} 秒后重试",
                         headers={"Retry-After": str(RETRY_AFTER_S)})


class _Slots:
    """How many headless Chromium processes this process is running; the limit is the caller's setting."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.running = 0

    @contextmanager
    def slot(self, limit: int) -> Iterator[None]:
        with self._lock:
            if self.running >= max(1, limit):
                raise BrowserBusy(max(1, limit))
            self.running += 1
        try:
            yield
        finally:
            with self._lock:
                self.running -= 1


CHROMIUM_SLOTS = _Slots()


def run_chromium(cmd: Sequence[str], *, timeout: float, limit: int) -> subprocess.CompletedProcess[str]:
    """Run one headless Chromium command within the process-wide limit (BrowserBusy when `limit` already run).
    subprocess.run kills the browser when `timeout` passes (TimeoutExpired)."""
    with CHROMIUM_SLOTS.slot(limit):
        return subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout)


@dataclass(frozen=True)
class PngOptions:
    """How a PNG is rendered (Settings.render): Chromium's time limit, how many browsers may run at once, and the
    size used when an SVG does not state its own."""

    timeout_s: float = 60.0
    default_width: int = 1200
    default_height: int = 800
    concurrency: int = 2


def find_chromium() -> str | None:
    env = os.environ.get("CHAINMATCH_CHROMIUM")
    if env:
        return env if Path(env).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        p = shutil.which(name)
        if p:
            return p
    return None


def screenshot(source: Path, output: Path, *, width: int, height: int, timeout: float = 60.0,
               concurrency: int = 2) -> Path:
    """Render a local file (HTML or SVG) to PNG at width × height (BrowserBusy when `concurrency` browsers run)."""
    exe = find_chromium()
    if exe is None:
        raise BrowserMissing("未找到 Chromium：运行 tools/ensure-browser.sh 安装（Debian: chromium fonts-noto-cjk）")
    output = Path(output).resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cm-chromium-") as profile:
        cmd = [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={int(width)},{int(height)}",
               f"--screenshot={output}", Path(source).resolve().as_uri()]
        proc = run_chromium(cmd, timeout=timeout, limit=concurrency)
    if proc.returncode != 0 or not output.exists():
        raise RuntimeError(f"Chromium 截图失败（退出码 {proc.returncode}）：{proc.stderr.strip()[-500:]}")
    return output


def svg_size(svg: str, default: tuple[int, int] = (1200, 800)) -> tuple[int, int]:
    """The SVG's own width × height, else `default`."""
    import re

    m = re.search(r'<svg[^>]*\bwidth="(\d+)"[^>]*\bheight="(\d+)"', svg)
    return (int(m.group(1)), int(m.group(2))) if m else default


def svg_to_png(svg_path: Path, png_path: Path, options: PngOptions | None = None) -> Path:
    o = options or PngOptions()
    w, h = svg_size(Path(svg_path).read_text(encoding="utf-8"), (o.default_width, o.default_height))
    return screenshot(svg_path, png_path, width=w, height=h, timeout=o.timeout_s, concurrency=o.concurrency)
