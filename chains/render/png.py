"""PNG of a page or SVG through headless Chromium (Debian packages chromium + fonts-noto-cjk, installed by
tools/ensure-browser.sh). No network: background networking off and every host name resolves to nothing."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-dev-shm-usage", "--hide-scrollbars", "--no-first-run", "--mute-audio",
                  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")


class BrowserMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class PngOptions:
    """How a PNG is rendered (Settings.render): Chromium's time limit, and the size used when an SVG does not
    state its own."""

    timeout_s: float = 60.0
    default_width: int = 1200
    default_height: int = 800


def find_chromium() -> str | None:
    env = os.environ.get("CHAINMATCH_CHROMIUM")
    if env:
        return env if Path(env).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        p = shutil.which(name)
        if p:
            return p
    return None


def screenshot(source: Path, output: Path, *, width: int, height: int, timeout: float = 60.0) -> Path:
    """Render a local file (HTML or SVG) to PNG at width × height."""
    exe = find_chromium()
    if exe is None:
        raise BrowserMissing("未找到 Chromium：运行 tools/ensure-browser.sh 安装（Debian: chromium fonts-noto-cjk）")
    output = Path(output).resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cm-chromium-") as profile:
        cmd = [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={int(width)},{int(height)}",
               f"--screenshot={output}", Path(source).resolve().as_uri()]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
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
    return screenshot(svg_path, png_path, width=w, height=h, timeout=o.timeout_s)
