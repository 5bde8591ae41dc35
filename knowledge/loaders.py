"""File loaders: .txt/.md/.html/.htm/.docx/.pdf in UTF-8 or GB18030 -> normalized text
plus the metadata fields a government site puts above a document.

Every rejection is a `DocumentRejected` naming the file, so a batch can report it
and go on.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from knowledge.docx_loader import docx_lines
from knowledge.errors import DocumentRejected
from knowledge.lines import starts_with_marker
from knowledge.text import SENTENCE_END

SUPPORTED_EXTENSIONS = (".txt", ".md", ".html", ".htm", ".docx", ".pdf")
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# A .docx is a zip; this bounds what its parts may inflate to (zip bombs).
MAX_DOCX_UNCOMPRESSED = 200 * 1024 * 1024



@dataclass(frozen=True)
class LoadedFile:
    """读取结果：规范化正文与页面上的元数据字段。"""

    name: str
    """文件名。"""
    text: str
    """规范化正文（每行去首尾空白，无空行）。"""
    fields: dict[str, str] = field(default_factory=dict)
    """从元数据表读到的字段（title/issuer/date/doc_number/index_number…）。"""
    warnings: tuple[str, ...] = ()
    """能读但有缺损时的提示（如 Word 自动编号无法读取）。"""


_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


def normalize_text(raw: str) -> str:
    """Normalize line breaks and whitespace; keep every visible character as it is.

    Quotes must match the source, so punctuation is not converted between half and
    full width; only control characters, zero-width marks and blank lines go.
    """
    text = raw.replace("\r\n", "\n").replace("\r", "\n").translate(_INVISIBLE)
    text = "".join(
        ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs", "Co")
    )
    lines = (line.replace("\t", " ").strip(" \u3000\xa0") for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def decode_bytes(data: bytes, name: str) -> str:
    """Decode text in UTF-8 (with or without BOM) or GB18030/GBK; reject binary data."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DocumentRejected(name, "UTF-16 文本已损坏，无法解码。") from exc
    if b"\x00" in data[:8192]:
        raise DocumentRejected(name, "内容是二进制数据，不是文本文件。")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    # Beyond UTF-8 and GB18030, accept only encodings that carry Chinese text and only
    # when the result is Chinese; anything else would index mojibake.
    best = from_bytes(data).best()
    if best is not None and best.encoding in _OTHER_CJK_ENCODINGS and _CJK.search(str(best)):
        return str(best)
    raise DocumentRejected(name, "无法识别文字编码，请另存为 UTF-8 或 GB18030 后重试。")


_OTHER_CJK_ENCODINGS = {"utf_16", "utf_16_le", "utf_16_be", "big5", "big5hkscs", "cp950"}
_CJK = re.compile(r"[\u4e00-\u9fff]")


def read_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadedFile:
    """Read one file from disk. See `load_bytes`."""
    name = path.name
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DocumentRejected(name, f"无法读取（{exc.strerror or exc}）。") from exc
    if size > max_bytes:
        raise DocumentRejected(name, f"文件大小 {_mb(size)} 超过上限 {_mb(max_bytes)}。")
    return load_bytes(name, path.read_bytes(), max_bytes)


# What a file's first bytes say it is; the extension must agree.
_SIGNATURES = (
    (b"%PDF", "PDF 文件"),
    (b"PK\x03\x04", "zip 压缩包（或 Office 文档）"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "旧版 Office 文件（.doc/.xls）"),
    (b"{\\rtf", "RTF 文件"),
    (b"\x89PNG", "PNG 图片"),
    (b"\xff\xd8\xff", "JPEG 图片"),
    (b"GIF8", "GIF 图片"),
    (b"MZ", "Windows 可执行程序"),
    (b"\x7fELF", "可执行程序"),
    (b"Rar!", "RAR 压缩包"),
    (b"7z\xbc\xaf", "7z 压缩包"),
    (b"\x1f\x8b", "gzip 压缩包"),
)
_EXPECTED_SIGNATURE = {".pdf": b"%PDF", ".docx": b"PK\x03\x04"}


def _check_content_matches_extension(name: str, ext: str, data: bytes) -> None:
    found = next(((magic, kind) for magic, kind in _SIGNATURES if data.startswith(magic)), None)
    expected = _EXPECTED_SIGNATURE.get(ext)
    if found is None or found[0] == expected:
        return
    if ext == ".docx" and found[0].startswith(b"\xd0\xcf"):
        raise DocumentRejected(name, "是旧版 Word（.doc）格式，请在 Word 中另存为 .docx 后上传。")
    raise DocumentRejected(name, f"内容是{found[1]}，与扩展名“{ext}”不符，已拒绝。")


def load_bytes(name: str, data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadedFile:
    """Turn the bytes of a file called `name` into normalized text and fields.

    Example:
        >>> load_bytes("a.txt", "一、总则\\n正文。".encode("gbk")).text
        '一、总则\\n正文。'
    """
    ext = Path(name).suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        allowed = " ".join(SUPPORTED_EXTENSIONS)
        raise DocumentRejected(name, f"不支持的文件类型“{ext or '无扩展名'}”，支持：{allowed}。")
    if len(data) > max_bytes:
        raise DocumentRejected(name, f"文件大小 {_mb(len(data))} 超过上限 {_mb(max_bytes)}。")
    if not data.strip():
        raise DocumentRejected(name, "文件是空的。")
    _check_content_matches_extension(name, ext, data)
    if ext in (".txt", ".md"):
        loaded = LoadedFile(name, normalize_text(decode_bytes(data, name)))
    elif ext in (".html", ".htm"):
        from knowledge.html_loader import parse_html

        text, fields = parse_html(decode_html(data, name))
        loaded = LoadedFile(name, normalize_text(text), fields)
    elif ext == ".docx":
        warnings: list[str] = []
        loaded = LoadedFile(name, normalize_text(_docx_text(data, name, warnings)), warnings=tuple(warnings))
    else:
        loaded = LoadedFile(name, normalize_text(_pdf_text(data, name)))
    if len(loaded.text) < 2:
        raise DocumentRejected(name, "没有可读的文字内容。")
    return loaded


def decode_html(data: bytes, name: str) -> str:
    """Decode an HTML page, honouring a declared charset (GB2312/GBK pages are common)."""
    head = data[:4096].decode("ascii", errors="ignore").lower()
    declared = re.search(r"charset\s*=\s*[\"']?([a-z0-9_-]+)", head)
    if declared and declared.group(1) in ("gb2312", "gbk", "gb18030"):
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            pass
    return decode_bytes(data, name)


def _without_broken_numbering(archive: zipfile.ZipFile, data: bytes, warnings: list[str]) -> bytes:
    """A numbering part that does not parse would fail the whole file; it is replaced by
    an empty one, so the text is read and only the automatic numbers are missing."""
    if "word/numbering.xml" not in archive.namelist():
        return data
    try:
        etree.fromstring(archive.read("word/numbering.xml"))
        return data
    except etree.XMLSyntaxError:
        warnings.append("Word 自动编号信息已损坏，章、条等自动编号未能读出，请核对条款路径。")
    repaired = io.BytesIO()
    with zipfile.ZipFile(repaired, "w", zipfile.ZIP_DEFLATED) as copy:
        for item in archive.infolist():
            part = archive.read(item.filename)
            if item.filename == "word/numbering.xml":
                part = _EMPTY_NUMBERING
            copy.writestr(item, part)
    return repaired.getvalue()


_EMPTY_NUMBERING = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<w:numbering xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>'
)


def _docx_text(data: bytes, name: str, warnings: list[str]) -> str:
    if not data.startswith(b"PK"):
        raise DocumentRejected(name, "不是有效的 .docx 文件（应为 zip 格式）。")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
            if inflated > MAX_DOCX_UNCOMPRESSED:
                raise DocumentRejected(name, f"解压后大小 {_mb(inflated)} 异常，疑似压缩炸弹，已拒绝。")
            if "word/document.xml" not in archive.namelist():
                raise DocumentRejected(name, "是 zip 压缩包，但不是 Word 文档（缺少 word/document.xml）。")
            data = _without_broken_numbering(archive, data, warnings)
        import docx

        document = docx.Document(io.BytesIO(data))
    except DocumentRejected:
        raise
    except Exception as exc:  # python-docx raises several unrelated types on bad input
        raise DocumentRejected(name, f".docx 文件已损坏或格式不正确（{type(exc).__name__}）。") from exc
    lines = docx_lines(document, warnings)
    return "\n".join(lines)


# A PDF line ending so ends its paragraph; any other full-width line runs on.
_PARAGRAPH_END = SENTENCE_END + "：:”」）)"


def _pdf_text(data: bytes, name: str) -> str:
    if not data.startswith(b"%PDF"):
        raise DocumentRejected(name, "不是有效的 PDF 文件。")
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:  # pypdf raises many types on malformed files
        raise DocumentRejected(name, f"PDF 文件已损坏或无法解析（{type(exc).__name__}）。") from exc
    text = "\n".join(pages)
    if not text.strip():
        raise DocumentRejected(name, "PDF 中没有可提取的文字（可能是扫描件），请提供文字版。")
    return _reflow(text)


def _reflow(text: str) -> str:
    """Join the hard line breaks a PDF puts inside paragraphs.

    A full-width line that does not end a sentence runs on into the next one, unless
    the next line opens an outline item (一、 / (一) / 1. …). Short lines (titles,
    signatures) keep their break.
    """
    lines = [part.strip() for part in text.split("\n") if part.strip()]
    if not lines:
        return ""
    full_width = sorted(len(line) for line in lines)[int(len(lines) * 0.9)]
    out: list[str] = []
    joinable = False
    for line in lines:
        if out and joinable and not starts_with_marker(line):
            out[-1] += line
        else:
            out.append(line)
        joinable = len(line) >= 0.8 * full_width and not line.endswith(tuple(_PARAGRAPH_END))
    return "\n".join(out)


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"
