"""The dossier as PDF: the printable page (dossier/html.py, its print CSS) saved to a file and printed by headless
Chromium (`--print-to-pdf`, no network, every host name resolving to nothing) — the same browser the chain maps'
PNGs use (chains/render/png.py), within the same limit on browsers running at once (`run_chromium`: over it,
BrowserBusy, 503 "忙，请稍后再试" with Retry-After). Without a browser the answer is a clear 503, not a broken file."""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from chains.render.png import CHROMIUM_FLAGS, find_chromium, run_chromium
from chains.render.shell import Parts, offline_document
from kernel.errors import ChainMatchError


class PdfUnavailable(ChainMatchError):
    status = 503


def pdf_bytes(parts: Parts, *, timeout: float = 60.0, concurrency: int = 2) -> bytes:
    """The page as PDF (A4, as its @page rule says). PdfUnavailable when no Chromium is installed or it fails,
    BrowserBusy when `concurrency` browsers are already running."""
    exe = find_chromium()
    if exe is None:
        raise PdfUnavailable("未找到 Chromium，无法生成 PDF：请用页面的打印功能，或运行 tools/ensure-browser.sh 安装"
                             "（Debian: chromium fonts-noto-cjk）")
    printable = Parts(parts.title, parts.header, parts.body, [])  # no script: the print layout hides the graph
    with tempfile.TemporaryDirectory(prefix="cm-dossier-") as tmp:
        src, out = Path(tmp) / "dossier.html", Path(tmp) / "dossier.pdf"
        src.write_text(offline_document(printable), encoding="utf-8")
        cmd = [exe, *CHROMIUM_FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}", "--no-pdf-header-footer",
               f"--print-to-pdf={out}", src.as_uri()]
        try:
            proc = run_chromium(cmd, timeout=timeout, limit=concurrency)
        except subprocess.TimeoutExpired:
            raise PdfUnavailable(f"Chromium 生成 PDF 超时（{timeout:g} 秒）") from None
        if proc.returncode != 0 or not out.exists() or out.stat().st_size == 0:
            raise PdfUnavailable(f"Chromium 生成 PDF 失败（退出码 {proc.returncode}）：{proc.stderr.strip()[-300:]}")
        return out.read_bytes()
