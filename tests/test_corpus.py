"""Real policy files from other places: the Liaoning corpus (22 Word files from 辽宁省,
大连市 and 甘井子区 that huiqi ships as an evaluation corpus) and the bundled policies.
Metadata is checked against the hand-written gold file; the outline must lose nothing."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import yaml

from knowledge.index import bundled_policies
from knowledge.loaders import SUPPORTED_EXTENSIONS, load_bytes, read_file
from knowledge.metadata import build_document
from knowledge.models import PolicyDocument
from knowledge.outline import parse_clauses
from knowledge.regions import find_regions, gazetteer, region_mentions

CORPUS = Path(__file__).resolve().parent.parent / "evals" / "corpora" / "liaoning"
GOLD = yaml.safe_load((CORPUS / "metadata.yaml").read_text(encoding="utf-8"))["documents"]
ALL_FILES = sorted(CORPUS.glob("*.docx")) + sorted(
    p for p in bundled_policies().iterdir() if p.suffix in SUPPORTED_EXTENSIONS
)


def non_blank(text: str) -> int:
    return sum(1 for ch in text if not ch.isspace())


@pytest.mark.parametrize("path", ALL_FILES, ids=[p.name for p in ALL_FILES])
def test_every_character_of_every_file_lies_in_a_clause(path):
    document = build_document(read_file(path))
    clauses = parse_clauses(document)
    covered = [False] * len(document.text)
    for clause in clauses:
        assert document.text[clause.start:clause.end] == clause.text
        covered[clause.start:clause.end] = [True] * (clause.end - clause.start)
    lost = "".join(ch for ch, inside in zip(document.text, covered) if not inside and not ch.isspace())
    assert lost == "", f"text in no clause: {lost[:80]}"
    assert len({c.clause_id for c in clauses}) == len(clauses)


def test_corpus_metadata_matches_the_hand_written_gold():
    fields = ("title", "region", "level", "issuer", "date")
    right = dict.fromkeys(fields, 0)
    wrong = []
    for gold in GOLD:
        document = build_document(read_file(CORPUS / gold["file"]))
        for name in fields:
            if getattr(document, name) == gold[name]:
                right[name] += 1
            else:
                wrong.append((gold["file"], name, getattr(document, name), gold[name]))
    for name in ("title", "region", "level"):
        assert right[name] / len(GOLD) >= 0.95, [w for w in wrong if w[1] == name]
    assert right["issuer"] / len(GOLD) >= 0.9 and right["date"] / len(GOLD) >= 0.9, wrong


def test_word_auto_numbered_headings_keep_their_numbers():
    text = read_file(CORPUS / "甘井子区支持科技创新若干规定.docx").text
    assert text.startswith("第一章 总则\n第一条 ")
    clauses = parse_clauses(build_document(read_file(CORPUS / "甘井子区支持科技创新若干规定.docx")))
    first = next(c for c in clauses if "特制定本规定" in c.text)
    assert first.clause_path.startswith("第一章总则 > 第一条")


def test_a_broken_numbering_part_loses_only_the_numbers(tmp_path):
    source = CORPUS / "甘井子区支持科技创新若干规定.docx"
    broken = io.BytesIO()
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(broken, "w") as copy:
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename == "word/numbering.xml":
                data = b"<w:numbering xmlns:w='http://schemas.openxmlformats.org/wordprocessingml/2006/main'><w:num"
            copy.writestr(item, data)
    loaded = load_bytes("numbering-broken.docx", broken.getvalue())
    assert "总则" in loaded.text and "特制定本规定" in loaded.text
    assert not loaded.text.startswith("第一章")
    assert any("编号" in warning for warning in loaded.warnings)


def test_stray_spaces_from_pdf_copies_do_not_break_the_outline():
    articles = "为规范管理，制定本办法。\n第 1 条 总体要求。\n第 1 1 条 支持对象为中小企业。"
    paths = [c.clause_path for c in parse_clauses(PolicyDocument("pdf", "办法", articles))]
    assert paths == ["引言", "第1条总体要求", "第11条支持对象为中小企业"], "article 11 must not nest under article 1"
    items = "一 、总体要求\n（ 一 ）坚持市场主导。\n二 、支持范围\n（ 一 ）研发补助最高50万元。"
    clauses = parse_clauses(PolicyDocument("pdf2", "意见", items))
    assert [c.clause_path for c in clauses] == ["一、总体要求 > （一）坚持市场主导", "二、支持范围 > （一）研发补助最高50万元"]
    assert clauses[1].text == "二 、支持范围\n（ 一 ）研发补助最高50万元。", "quotes keep the text as it was"


def test_items_past_ninety_nine_are_clauses():
    items = [f"{_cn(n)}、第{n}项措施给予{n}万元。" for n in range(1, 121)]
    clauses = parse_clauses(PolicyDocument("long", "清单", "\n".join(items)))
    assert len(clauses) == 120
    assert clauses[100].clause_path.startswith("一百零一、") and clauses[100].text.endswith("101万元。")


def test_a_chapter_never_nests_under_the_article_before_it():
    text = "第一条 总则条款内容。\n第二条 目的说明。\n第二章 支持政策\n第一条 每章重新编号的第一条。"
    clauses = parse_clauses(PolicyDocument("reg", "条例", text))
    chapter_clause = next(c for c in clauses if "每章重新编号" in c.text)
    assert chapter_clause.clause_path == "第二章支持政策 > 第一条每章重新编号的第一条"
    assert next(c for c in clauses if "目的说明" in c.text).clause_path == "第二条目的说明"
    assert len({c.clause_id for c in clauses}) == len(clauses)


def test_gazetteer_knows_every_county_and_short_forms():
    places = gazetteer()
    assert len([r for r in places.regions.values() if r.level == "区县"]) > 2800
    assert places.chain("甘井子区") == ["甘井子区", "大连市", "辽宁省", "全国"]
    assert [name for _, name in region_mentions("甘井子和金州，还有柳河、大连")] == ["甘井子区", "金州区", "柳河县", "大连市"]
    assert find_regions("西安的企业") == ["西安市"]
    # A short form before 岭 is part of a longer name, its tail no county either (南关岭: not 南关区, not 关岭县).
    assert region_mentions("我们厂在南关岭，做冷链仓储") == []
    assert [name for _, name in region_mentions("铁岭和北镇沟帮子")] == ["铁岭市", "北镇市"]


def test_shared_names_are_resolved_by_the_places_beside_them():
    places = gazetteer()
    assert find_regions("朝阳区") == []
    assert {m.text for m in places.ambiguous("朝阳区的政策")} == {"朝阳区"}
    assert find_regions("北京市朝阳区的政策")[-1] == "北京市朝阳区"
    assert find_regions("长春市朝阳区的政策")[-1] == "长春市朝阳区"
    assert find_regions("朝阳区", context=["长春市"]) == ["长春市朝阳区"]
    assert "郑州高新技术产业开发区" in find_regions("郑州高新区的企业", informal=True)


def test_documents_naming_no_place_or_two_provinces_get_a_warning():
    nowhere = build_document(load_bytes("通知.txt", "一、总则\n对企业给予奖励。\n".encode()))
    assert nowhere.region == "" and any("未识别地区" in w for w in nowhere.warnings)
    two = build_document(load_bytes(
        "合作.txt", "一、合作\n辽宁省与河南省企业合作，辽宁省企业获奖励。\n二、其他\n河南省配套支持。\n".encode()
    ))
    assert two.region == "辽宁省" and any("不同省份" in w for w in two.warnings)


def test_validity_is_read_from_the_text():
    document = build_document(read_file(CORPUS / "甘井子区总部经济扶持办法（试行）.docx"))
    assert "2019年3月1日起施行" in document.validity and "有效期四年" in document.validity


def _cn(n: int) -> str:
    import cn2an

    return cn2an.an2cn(n)


def test_a_pdf_without_a_text_layer_is_refused_by_name():
    from reportlab.pdfgen import canvas

    from knowledge.errors import DocumentRejected

    scanned = io.BytesIO()
    page = canvas.Canvas(scanned)
    page.rect(100, 100, 200, 200, fill=1)
    page.showPage()
    page.save()
    with pytest.raises(DocumentRejected, match="扫描件"):
        load_bytes("扫描件.pdf", scanned.getvalue())
