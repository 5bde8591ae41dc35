"""What the console exports: the conversation log as CSV, written to files kept in
`<data dir>/exports`, readable by the server's user only, and deleted an hour after
they were written.

They are served by the console's own download route to a logged-in help desk, never
through Gradio, which would copy them into its world-readable cache.
"""

from __future__ import annotations

import csv
import io
import os
import re
import secrets
import time
from collections.abc import Iterable
from pathlib import Path

from assistant.turns import LoggedTurn

NAME = re.compile(r"^[A-Za-z0-9_-]{20,64}\.(?:csv|xlsx)$")
# A spreadsheet runs a cell starting with one of these as a formula (=HYPERLINK(…)).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_HEADER = ["时间", "会话", "渠道", "问题", "补全后的问题", "回答", "拒答", "回答方式", "最高相关度", "引用条款", "评价", "评价意见"]


def conversation_csv(turns: Iterable[LoggedTurn]) -> str:
    """Logged turns as CSV (UTF-8 with BOM, so spreadsheet programs read Chinese).

    A cell a spreadsheet would run as a formula starts with a `'` (see `spreadsheet_safe`).

    Example:
        >>> from datetime import datetime
        >>> turn = LoggedTurn(1, "s1", "web", datetime(2024, 5, 1, 9, 30), "=补贴多少", "=补贴多少",
        ...                   "见第三条", False, "extractive", 0.8, [{"clause_id": "c-3"}], "up")
        >>> conversation_csv([turn]).splitlines()[1]
        "2024-05-01T09:30:00,s1,web,'=补贴多少,'=补贴多少,见第三条,否,extractive,0.800,c-3,有用,"
    """
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for turn in turns:
        writer.writerow(map(spreadsheet_safe, [
            turn.created_at.isoformat(timespec="seconds"), turn.session_id, turn.channel, turn.question,
            turn.standalone_question, turn.answer, "是" if turn.refused else "否", turn.mode,
            f"{turn.top_relevance:.3f}", "；".join(c["clause_id"] for c in turn.citations),
            {"up": "有用", "down": "没用"}.get(turn.rating, ""), turn.comment,
        ]))
    return out.getvalue()


def spreadsheet_safe(cell: str) -> str:
    """`cell` as text a spreadsheet shows rather than runs: a leading `'` when it starts
    like a formula.

    Example:
        >>> spreadsheet_safe("=1+2"), spreadsheet_safe("@SUM(A1)"), spreadsheet_safe("温县")
        ("'=1+2", "'@SUM(A1)", '温县')
    """
    return "'" + cell if cell.startswith(FORMULA_START) else cell


class ExportFolder:
    """Export files under random names, each kept for `max_age_s` seconds.

    Example:
        >>> import tempfile
        >>> exports = ExportFolder(Path(tempfile.mkdtemp()) / "exports")
        >>> name = exports.write("时间,问题\\n")
        >>> exports.path(name).read_text(encoding="utf-8"), exports.path("../huiqi.sqlite3")
        ('时间,问题\\n', None)
    """

    def __init__(self, folder: Path, max_age_s: float = 3600) -> None:
        if max_age_s <= 0:
            raise ValueError(f"max_age_s must be > 0, got {max_age_s}")
        self.folder = Path(folder)
        self.max_age_s = max_age_s

    def write(self, text: str) -> str:
        """Store `text` as a new CSV file; its name, for `path`. Old exports are removed first."""
        return self.write_bytes(text.encode("utf-8"), "csv")

    def write_bytes(self, data: bytes, suffix: str) -> str:
        """Store `data` as a new `.csv` or `.xlsx` file; its name."""
        if suffix not in ("csv", "xlsx"):
            raise ValueError(f"exports are .csv or .xlsx, not .{suffix}")
        self.purge()
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        name = f"{secrets.token_urlsafe(24)}.{suffix}"
        descriptor = os.open(self.folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        return name

    def path(self, name: str) -> Path | None:
        """The file called `name` if it is one of ours and not expired, else None."""
        if not NAME.match(name or ""):
            return None
        path = self.folder / name
        try:
            age = time.time() - path.stat().st_mtime
        except OSError:
            return None
        return path if age <= self.max_age_s else None

    def purge(self) -> int:
        """Delete exports older than `max_age_s`; how many were deleted."""
        if not self.folder.is_dir():
            return 0
        deleted = 0
        cutoff = time.time() - self.max_age_s
        for path in self.folder.iterdir():
            try:
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    deleted += 1
            except OSError:  # removed by another worker meanwhile
                continue
        return deleted
