"""Files the console exports (the conversation log as CSV), kept in `<data dir>/exports`,
readable by the server's user only, and deleted an hour after they were written.

They are served by the console's own download route to a logged-in help desk, never
through Gradio, which would copy them into its world-readable cache.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from pathlib import Path

NAME = re.compile(r"^[A-Za-z0-9_-]{20,64}\.csv$")


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
        self.purge()
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        name = secrets.token_urlsafe(24) + ".csv"
        descriptor = os.open(self.folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
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
