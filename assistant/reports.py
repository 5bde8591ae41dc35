"""An ingest report told to its reader: as JSON for the API and the jobs table, as Chinese
lines for the console and the command line. Every entry point shows the same words."""

from __future__ import annotations

from knowledge.index import IngestReport


def report_json(report: IngestReport) -> dict:
    """An ingest report as the API answers it (and a job keeps it)."""
    return {
        "added": [{"doc_id": d, "file": f, "chunks": n} for d, f, n in report.added],
        "updated": [{"doc_id": d, "file": f, "chunks": n} for d, f, n in report.updated],
        "unchanged": [{"doc_id": d, "file": f} for d, f in report.unchanged],
        "rejected": [{"file": f, "reason": r} for f, r in report.rejected],
        "warnings": [{"file": f, "warning": w} for f, w in report.warnings],
    }


def report_from_json(body: dict) -> IngestReport:
    """The inverse of `report_json`."""
    return IngestReport(
        added=[(i["doc_id"], i["file"], i["chunks"]) for i in body.get("added", [])],
        updated=[(i["doc_id"], i["file"], i["chunks"]) for i in body.get("updated", [])],
        unchanged=[(i["doc_id"], i["file"]) for i in body.get("unchanged", [])],
        rejected=[(i["file"], i["reason"]) for i in body.get("rejected", [])],
        warnings=[(i["file"], i["warning"]) for i in body.get("warnings", [])],
    )


def report_lines(report: IngestReport, *, totals: bool = False) -> list[str]:
    """One plain-text line per file, in Chinese; with `totals`, a closing line of counts and time.

    Example:
        >>> report = IngestReport(added=[("sdzc-1", "试点政策.txt", 2)], rejected=[("坏.txt", "文件是空的。")])
        >>> report_lines(report)
        ['✅ 已入库《试点政策.txt》：新增 2 条（编号 sdzc-1）', '⚠️ “坏.txt”未能入库：文件是空的。']
    """
    lines = [f"✅ 已入库《{f}》：新增 {n} 条（编号 {d}）" for d, f, n in report.added]
    lines += [f"🔄 已更新《{f}》：{n} 条（编号 {d}）" for d, f, n in report.updated]
    lines += [f"➖ 《{f}》内容未变，未重复入库（编号 {d}）" for d, f in report.unchanged]
    # The knowledge base records a refusal as a whole sentence naming the file; the
    # library, for a name it refuses itself, only the reason.
    lines += [f"⚠️ {r}" if f"“{f}”" in r else f"⚠️ “{f}”未能入库：{r}" for f, r in report.rejected]
    lines += [f"📝 《{f}》请核对：{w}" for f, w in report.warnings]
    if totals:
        lines.append(
            f"完成：新增 {len(report.added)}、更新 {len(report.updated)}、未变 {len(report.unchanged)}、"
            f"拒绝 {len(report.rejected)}，共 {report.chunks} 条新条款，用时 {report.seconds:.1f} 秒。"
        )
    return lines


def nothing_stored(report: IngestReport) -> bool:
    """Every file was refused."""
    return bool(report.rejected) and not (report.added or report.updated or report.unchanged)


def rejection_message(report: IngestReport) -> str:
    """Why nothing of an upload was stored, every refused file named (the API's error message)."""
    names = "；".join(f"“{f}”：{r}" for f, r in report.rejected)
    return f"文件未能入库。{names}"
