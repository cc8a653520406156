"""What a download answer needs: the XLSX media type and the header that makes a browser save it under a name."""
from __future__ import annotations

from urllib.parse import quote

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(name: str) -> dict[str, str]:
    """The Content-Disposition header that makes a browser save the answer as `name` (UTF-8, RFC 6266)."""
    return {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"}
