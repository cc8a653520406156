"""Offline assets for pages: the vis-network JS/CSS shipped inside the pyvis package, inlined into each page.

Why not `pyvis.Network.write_html(cdn_resources="in_line")`: pyvis 0.3.2 does inline vis-network 9.1.2 in that
mode, but its template still loads bootstrap 5 (CSS and JS) from cdn.jsdelivr.net unconditionally, so such a
page makes network requests and breaks offline. We use pyvis to assemble nodes and edges and write the page
ourselves with the very same vis-network files (pyvis/lib/vis-9.1.2), inlined.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyvis

VIS_DIR = Path(pyvis.__file__).resolve().parent / "lib" / "vis-9.1.2"
VIS_VERSION = "9.1.2"
FONT_STACK = ('"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", '
              '"WenQuanYi Micro Hei", "Hiragino Sans GB", sans-serif')
FAVICON = "data:,"  # no /favicon.ico request (and no console error for it)


def _safe_inline(text: str, closing: str) -> str:
    # An inline <script>/<style> ends at the first "</script"/"</style": never let the payload contain one.
    text = re.sub(rf"</({closing})", r"<\\/\1", text, flags=re.IGNORECASE)
    # Source maps would only be fetched by developer tools, but a page that names no URL is simpler to audit.
    return re.sub(r"//# sourceMappingURL=\S+", "", text)


@lru_cache(maxsize=1)
def vis_js() -> str:
    return _safe_inline((VIS_DIR / "vis-network.min.js").read_text(encoding="utf-8"), "script")


@lru_cache(maxsize=1)
def vis_css() -> str:
    return _safe_inline((VIS_DIR / "vis-network.css").read_text(encoding="utf-8"), "style")


def json_for_script(obj: Any) -> str:
    """JSON safe inside <script type="application/json">: no '<' (so no '</script>'), no U+2028/2029."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str)
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
