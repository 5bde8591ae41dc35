"""Curated answers in and out of spreadsheets, the way help desks already keep their
Q&A lists: one row per answer, columns 问题, 其他问法, 答复, 地区, 单位, 条款编号 (English
headers question, alternatives, answer, region, unit, clause_ids are read too).

其他问法 holds one wording per line (or separated by ｜ or ；); 条款编号 by spaces,
commas or ；. An import checks every row first: bad rows are named with their reason
and left out, the good ones are stored together in one transaction.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from charset_normalizer import from_bytes
from openpyxl import Workbook, load_workbook

from assistant.curated import CuratedAnswer, CuratedDraft
from assistant.errors import AssistantError, InvalidRequest
from assistant.exports import spreadsheet_safe

COLUMNS = ("问题", "其他问法", "答复", "地区", "单位", "条款编号")
ENGLISH = {"question": "问题", "alternatives": "其他问法", "answer": "答复", "region": "地区", "unit": "单位",
           "clause_ids": "条款编号"}
ALIASES = {"标准问题": "问题", "相似问法": "其他问法", "答案": "答复", "回答": "答复", "适用地区": "地区",
           "答复单位": "单位", "引用条款": "条款编号"}
MAX_ROWS = 5000
_WORDING_SPLIT = re.compile(r"[\n｜|；;]+")
_CLAUSE_SPLIT = re.compile(r"[\s,，；;、]+")


@dataclass(frozen=True)
class ImportReport:
    """导入结果：已导入的问答与被拒的行（行号, 原因）。"""

    added: list[CuratedAnswer]
    rejected: list[tuple[int, str]]

    def summary(self) -> str:
        lines = [f"已导入 {len(self.added)} 条问答。"]
        lines += [f"第 {row} 行未导入：{reason}" for row, reason in self.rejected]
        return "\n".join(lines)


def export_rows(answers: Sequence[CuratedAnswer]) -> list[list[str]]:
    return [
        [a.question, "\n".join(a.alternatives), a.answer, a.region, a.unit, " ".join(a.clause_ids)] for a in answers
    ]


def to_csv(answers: Sequence[CuratedAnswer]) -> bytes:
    """UTF-8 with BOM, so spreadsheet programs read the Chinese; formula-like cells start with '."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in export_rows(answers):
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(answers: Sequence[CuratedAnswer]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "问答对"
    sheet.append(list(COLUMNS))
    for row in export_rows(answers):
        # Text cells, never formulas: openpyxl would store "=…" as one.
        sheet.append([spreadsheet_safe(cell) for cell in row])
    for column, width in zip("ABCDEF", (30, 30, 60, 12, 20, 30)):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_rows(name: str, data: bytes) -> list[list[str]]:
    """The rows of an uploaded .csv or .xlsx file, header first; InvalidRequest when it is neither."""
    lower = name.lower()
    if not data.strip():
        raise InvalidRequest(f"“{name}”是空文件。")
    if lower.endswith(".xlsx"):
        return _xlsx_rows(name, data)
    if lower.endswith(".csv"):
        return _csv_rows(name, data)
    raise InvalidRequest(f"“{name}”不是 .csv 或 .xlsx 文件：请用表格软件另存为这两种格式之一。")


def parse(name: str, data: bytes, check: Callable[[CuratedDraft], CuratedDraft]) -> tuple[list[CuratedDraft], list[tuple[int, str]]]:
    """The drafts of the good rows (checked by `check`) and (row number, reason) for the bad ones."""
    rows = read_rows(name, data)
    header = [_column(cell) for cell in rows[0]] if rows else []
    missing = [c for c in ("问题", "答复") if c not in header]
    if missing:
        raise InvalidRequest(f"“{name}”的第一行缺少列：{'、'.join(missing)}。第一行应为：{'、'.join(COLUMNS)}。")
    if len(rows) - 1 > MAX_ROWS:
        raise InvalidRequest(f"“{name}”超过 {MAX_ROWS} 行，请分成几个文件导入。")
    drafts, rejected = [], []
    for number, row in enumerate(rows[1:], start=2):
        cells = {column: _unguarded(row[i]) if i < len(row) else "" for i, column in enumerate(header) if column}
        if not any(v.strip() for v in cells.values()):
            continue
        draft = CuratedDraft(
            question=cells.get("问题", ""), answer=cells.get("答复", ""), region=cells.get("地区", ""),
            unit=cells.get("单位", ""),
            alternatives=tuple(w.strip() for w in _WORDING_SPLIT.split(cells.get("其他问法", "")) if w.strip()),
            clause_ids=tuple(c for c in _CLAUSE_SPLIT.split(cells.get("条款编号", "")) if c),
        )
        try:
            drafts.append(check(draft))
        except AssistantError as exc:
            rejected.append((number, str(exc)))
    return drafts, rejected


def _column(cell: str) -> str:
    text = (cell or "").strip().lstrip("\ufeff")
    return ENGLISH.get(text.lower(), ALIASES.get(text, text if text in COLUMNS else ""))


def _unguarded(cell) -> str:
    """A cell's text, without the ' an export put before formula-like text."""
    text = "" if cell is None else str(cell)
    return text[1:] if text.startswith("'") and text[1:2] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_rows(name: str, data: bytes) -> list[list[str]]:
    if data.startswith(b"\xef\xbb\xbf"):
        text = data[3:].decode("utf-8", errors="strict")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            guess = from_bytes(data).best()
            if guess is None:
                raise InvalidRequest(f"“{name}”无法识别文字编码，请另存为 UTF-8 编码的 CSV。") from None
            text = str(guess)
    if "\x00" in text:
        raise InvalidRequest(f"“{name}”不是文本格式的 CSV 文件。")
    try:
        return [row for row in csv.reader(io.StringIO(text))]
    except csv.Error as exc:
        raise InvalidRequest(f"“{name}”不是有效的 CSV 文件：{exc}") from None


def _xlsx_rows(name: str, data: bytes) -> list[list[str]]:
    broken = InvalidRequest(f"“{name}”不是有效的 Excel（.xlsx）文件，可能已损坏。")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # a damaged workbook fails in zip, XML or openpyxl's own reading
        raise broken from exc
    try:
        sheet = book.worksheets[0]
        return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    except Exception as exc:
        raise broken from exc
    finally:
        book.close()
