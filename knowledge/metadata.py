"""Metadata of a policy document: title, 文号, issuer, date, region and level, read from
the portal header and signature block, overridden by an optional `<name>.meta.yaml`."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pypinyin
import yaml

from knowledge.errors import DocumentRejected
from knowledge.lines import BULLETS, DOC_NUMBER, body_bounds, is_date_line, is_org_line
from knowledge.loaders import LoadedFile
from knowledge.models import LEVELS, PolicyDocument
from knowledge.regions import LEVEL_ORDER, gazetteer, is_region, level_of
from knowledge.text import CN_DIGITS, FIELD_LABELS, chinese_number

SIDECAR_SUFFIX = ".meta.yaml"
SIDECAR_FIELDS = ("doc_id", "title", "doc_number", "issuer", "date", "region", "level", "validity")
_LABELED = re.compile(r"^(%s)\s*[:：]\s*(.*)$" % "|".join(sorted(FIELD_LABELS, key=len, reverse=True)))
_INDEX_NUMBER = re.compile(r"^[0-9A-Z]{6,}/\d{4}-\d+$")
_NATIONAL = re.compile(r"^(?:国务院|国家|中共中央|工业和信息化部|财政部|科技部|人力资源和社会保障部|商务部)")


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.stem + SIDECAR_SUFFIX)


def read_sidecar(path: Path) -> dict[str, str]:
    """Fields of the sidecar next to `path`, or {} when there is none."""
    side = sidecar_path(path)
    if not side.exists():
        return {}
    return parse_sidecar(side.read_text(encoding="utf-8"), side.name)


def parse_sidecar(text: str, name: str) -> dict[str, str]:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise DocumentRejected(name, f"元数据文件不是有效的 YAML（{exc.__class__.__name__}）。") from exc
    if not isinstance(data, dict):
        raise DocumentRejected(name, "元数据文件应为“字段: 值”的形式。")
    unknown = sorted(set(data) - set(SIDECAR_FIELDS))
    if unknown:
        raise DocumentRejected(name, f"元数据文件含未知字段 {unknown}，可用字段：{list(SIDECAR_FIELDS)}。")
    fields = {key: "" if value is None else str(value).strip() for key, value in data.items()}
    if fields.get("date"):
        normalized = normalize_date(fields["date"])
        if not normalized:
            raise DocumentRejected(name, f"日期“{fields['date']}”无法识别，请写成 YYYY-MM-DD。")
        fields["date"] = normalized
    if fields.get("region") and not is_region(fields["region"]):
        raise DocumentRejected(name, f"地区“{fields['region']}”不在全国行政区划中，请写规范名称，如 大连市、甘井子区。")
    if fields.get("level") and fields["level"] not in LEVELS:
        raise DocumentRejected(name, f"层级“{fields['level']}”无效，可选：{'/'.join(LEVELS)}。")
    if fields.get("doc_id") and not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,63}", fields["doc_id"]):
        raise DocumentRejected(name, "doc_id 只能包含小写字母、数字和连字符（2–64 个字符）。")
    return fields


def build_document(loaded: LoadedFile, sidecar: dict[str, str] | None = None) -> PolicyDocument:
    """Read metadata from the text and fields of a loaded file; sidecar fields win.

    Example:
        >>> from knowledge.loaders import LoadedFile
        >>> doc = build_document(LoadedFile("a.txt", "一、总则\\n正文。\\n温县人民政府\\n2023年5月15日"))
        >>> (doc.issuer, doc.date, doc.region, doc.level)
        ('温县人民政府', '2023-05-15', '温县', '区县')
    """
    sidecar = sidecar or {}
    lines = loaded.text.split("\n")
    start, closing, footer = body_bounds(lines)
    fields = dict(loaded.fields)
    header_title = _read_header(lines[:start], fields)
    signature_issuer, signature_date = _read_signature(lines[closing:footer])
    body = "\n".join(lines[start:footer])

    title = fields.get("title") or choose_title(header_title, loaded.name)
    issuer = signature_issuer or fields.get("issuer", "") or issuer_from_title(title)
    # 成文日期 from the portal wins over the signature date, which is sometimes the
    # day the draft was signed off rather than the official date.
    date = normalize_date(fields.get("date", "")) or signature_date or normalize_date(fields.get("published", ""))
    doc_number = fields.get("doc_number", "")
    region, warnings = _region(issuer, title, doc_number, body)
    merged = {
        "title": title,
        "doc_number": doc_number,
        "issuer": issuer,
        "date": date,
        "region": region,
        "level": _level(issuer, region),
        "validity": validity_statement(body),
    }
    merged.update({k: v for k, v in sidecar.items() if k in merged})
    if "region" in sidecar and "level" not in sidecar:
        merged["level"] = level_of(merged["region"])
    if "region" in sidecar:
        warnings = []
    if not body.strip():
        raise DocumentRejected(loaded.name, "除标题和页面信息外没有正文内容。")
    return PolicyDocument(
        doc_id=sidecar.get("doc_id") or doc_id_for(loaded.name),
        text=body,
        source=loaded.name,
        warnings=(*loaded.warnings, *warnings),
        **merged,
    )


# What a document calls itself at the end of its title: 办法, 意见, 通知…, maybe (试行).
_TITLE_KIND = re.compile(
    r"(?:办法|意见|通知|规定|措施|方案|细则|决定|条例|公告|通告|批复|答复|复函|函|规划|政策|纲要|指南|清单|"
    r"简报|公报|报告|制度|规则|目录|计划|要点|若干条|条)(?:[（(][^）)]{1,8}[）)])?$"
)


def choose_title(header_title: str, file_name: str) -> str:
    """The title: the body's title line when it reads as one, else the file name when
    it is a Chinese title, else whatever the header had (a page header or a chapter
    heading is never preferred to a real title).

    Example:
        >>> choose_title("总则", "甘井子区支持科技创新若干规定.docx")
        '甘井子区支持科技创新若干规定'
        >>> choose_title("温县2023年深化“万人助万企”活动实施方案", "wenxian-plan.txt")
        '温县2023年深化“万人助万企”活动实施方案'
    """
    stem = Path(file_name).stem
    if header_title and _TITLE_KIND.search(header_title) and len(header_title) >= 6:
        return header_title
    if re.search(r"[\u4e00-\u9fff]", stem) and len(stem) >= 4:
        return stem
    return header_title or stem


_TITLE_ISSUER = re.compile(
    r"^(.{2,40}?(?:人民政府办公厅|人民政府办公室|人民政府|委员会|办公厅|办公室|[厅局委])"
    r"(?:[、和]?.{2,20}?(?:人民政府办公厅|人民政府办公室|人民政府|委员会|办公厅|办公室|[厅局委]))*?)"
    r"(?:关于|印发|促进|转发|进一步|加快|支持)"
)


def issuer_from_title(title: str) -> str:
    """The issuing body a title opens with (大连市人民政府关于… -> 大连市人民政府); joint
    issuers are listed with 、.

    Example:
        >>> issuer_from_title("中共大连市委大连市人民政府关于促进物流业发展的实施意见")
        '中共大连市委、大连市人民政府'
        >>> issuer_from_title("大连市工程实验室管理暂行办法")
        ''
    """
    match = _TITLE_ISSUER.match(title)
    if not match:
        return ""
    issuers = match.group(1)
    parts, start = [], 0
    for mention in gazetteer().mentions(issuers):
        if mention.start > start and issuers[mention.start - 1] in "委府厅局室、和":
            parts.append(issuers[start:mention.start].rstrip("、和"))
            start = mention.start
    parts.append(issuers[start:])
    return "、".join(part for part in parts if part)


_VALIDITY = re.compile(
    r"(?:本(?:办法|规定|意见|通知|措施|政策|细则|方案|条例|决定)[^。；\n]{0,12})?"
    r"(?:自[^。；\n]{2,20}?起[^。；\n]{0,4}?(?:施行|实施|执行|实行|生效)[^。；\n]{0,20}|有效期[^。；\n]{1,30}|试行(?:期)?[^。；\n]{0,3}[一二三四五六七八九十\d]+年)"
)


def validity_statement(text: str) -> str:
    """The document's own words on when it applies (自…起施行, 有效期至…, 试行N年), or ''.

    Example:
        >>> validity_statement("第三十条 本办法自2019年3月1日起施行，有效期四年。")
        '本办法自2019年3月1日起施行，有效期四年'
    """
    found = [m.group(0) for m in _VALIDITY.finditer(text)]
    return found[-1].strip("，, ") if found else ""


def doc_id_for(name: str) -> str:
    """A readable id from a file name: ASCII kept, Chinese as pinyin initials, plus a
    short hash of the exact name so that two different names never share an id.

    Example:
        >>> doc_id_for("郑政〔2023〕12号.txt")[:12], doc_id_for("金政〔2023〕12号.txt")[:12]
        ('zz-2023-12h-', 'jz-2023-12h-')
        >>> doc_id_for("policy(2023).txt") != doc_id_for("Policy-2023.txt")
        True
        >>> doc_id_for("wenxian-plan.txt")
        'wenxian-plan'
    """
    stem = Path(name).name
    for suffix in (".meta.yaml",) + tuple(Path(name).suffixes[-1:]):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    if re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", stem) and len(stem) <= 64 and not stem.isdigit():
        return stem  # already an id: keep it as the file says
    initials = pypinyin.lazy_pinyin(stem, style=pypinyin.Style.FIRST_LETTER, errors="default")
    slug = re.sub(r"[^a-z0-9]+", "-", "".join(initials).lower()).strip("-")[:40].strip("-")
    digest = hashlib.sha1(stem.encode("utf-8")).hexdigest()[:4]
    return f"{slug}-{digest}" if slug else f"doc-{digest}"


def normalize_date(value: str) -> str:
    """'2023年5月15日' / '2023-7-13' / '二〇二三年五月十五日' -> 'YYYY-MM-DD'; '' if not a date."""
    value = value.strip().replace(" ", "")
    match = re.match(r"((?:19|20)\d{2})\s*[年\-./]\s*(\d{1,2})\s*[月\-./]\s*(\d{1,2})", value)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = re.match(r"([〇零○一二三四五六七八九]{4})年([一二三四五六七八九十]{1,2})月([一二三四五六七八九十]{1,3})日", value)
        if not match:
            return ""
        year = int("".join(str(CN_DIGITS[ch]) for ch in match.group(1)))
        month, day = chinese_number(match.group(2)), chinese_number(match.group(3))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return ""
    return f"{year:04d}-{month:02d}-{day:02d}"


def _read_header(lines: list[str], fields: dict[str, str]) -> str:
    """Fill `fields` from portal header lines; return the first title-like line."""
    title = ""
    pending_key = ""
    for raw in lines:
        line = raw.lstrip("•·▪ ").strip()
        labeled = _LABELED.match(line)
        if labeled:
            key, value = FIELD_LABELS[labeled.group(1)], labeled.group(2).strip()
            if value:
                fields.setdefault(key, value)
                pending_key = ""
            else:
                pending_key = key
            continue
        if pending_key:
            fields.setdefault(pending_key, line)
            pending_key = ""
            continue
        number = DOC_NUMBER.fullmatch(line)
        if number:
            fields.setdefault("doc_number", re.sub(r"\s+", "", line))
        elif _INDEX_NUMBER.match(line):
            fields.setdefault("index_number", line)
        elif raw.startswith(BULLETS) and normalize_date(line):
            # Unlabeled portal bullets list 成文日期 before 发布日期.
            fields.setdefault("published" if "date" in fields else "date", line)
        elif raw.startswith(BULLETS) and is_org_line(line):
            fields.setdefault("issuer", line)
        elif not raw.startswith(BULLETS) and not title and ("：" not in line and ":" not in line):
            title = line
    return title


def _read_signature(lines: list[str]) -> tuple[str, str]:
    issuer, date = "", ""
    for line in lines:
        if is_date_line(line):
            date = normalize_date(line)
        elif is_org_line(line):
            issuer = line
    return issuer, date


def _region(issuer: str, title: str, doc_number: str, body: str) -> tuple[str, list[str]]:
    """The region a document applies to, from its issuer, then its title, then the 文号
    prefix, then the places its body names most; with a warning when none is found or
    when the body names places in different provinces and nothing else decides."""
    places = gazetteer()
    if _NATIONAL.match(issuer) or _NATIONAL.match(title):
        return "全国", []
    context = places.find(f"{issuer} {title}")
    for source in (issuer, title, doc_number):
        found = places.find(source, context)
        if found:
            # "郑州市惠济区…" names both; the most specific one applies.
            return max(found, key=lambda name: LEVEL_ORDER.index(places.level_of(name))), []
    counts: dict[str, int] = {}
    for name in places.find(body[:4000], context):
        if places.level_of(name) != "国家":
            counts[name] = counts.get(name, 0) + 1
    if not counts:
        return "", ["没有识别出适用地区，请在控制台设置（显示为“未识别地区”）。"]
    provinces = {(places.chain(name)[-2:-1] or [name])[0] for name in counts}
    best = max(counts, key=counts.get)
    if len(provinces) > 1:
        return best, [f"正文提到不同省份的地区（{'、'.join(sorted(counts)[:4])}），已按提及最多的“{best}”归类，请核对。"]
    return best, []


def _level(issuer: str, region: str) -> str:
    if _NATIONAL.match(issuer):
        return "国家"
    return level_of(region)
