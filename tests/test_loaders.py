"""Each loader on files the tests generate, and the Chinese errors for bad files."""

from __future__ import annotations

import io
import zipfile

import pytest

from knowledge.errors import DocumentRejected
from knowledge.loaders import load_bytes, read_file
from knowledge.metadata import build_document

POLICY = "关于支持小微企业发展的通知\n一、对首次升规的企业给予10万元一次性奖励。\n二、申报材料包括营业执照和财务报表。"


def test_txt_in_utf8_with_bom_and_crlf():
    loaded = load_bytes("a.txt", ("\ufeff" + POLICY.replace("\n", "\r\n") + "\r\n\r\n").encode("utf-8"))
    assert loaded.text == POLICY


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_txt_in_gbk_family_is_detected(encoding):
    assert load_bytes("a.txt", POLICY.encode(encoding)).text == POLICY


def test_markdown_is_read_as_text():
    assert "10万元" in load_bytes("notes.md", ("# 标题\n" + POLICY).encode("utf-8")).text


def test_html_keeps_body_reads_metadata_table_and_drops_navigation():
    html = """<html><head><meta charset="gbk"><title>关于支持小微企业发展的通知_某某市人民政府</title>
    <script>var tracking = 1;</script></head><body>
    <div class="nav"><a href="/">首页</a> <a href="/zc">政策文件</a></div>
    <div class="breadcrumb">当前位置：首页 > 政策文件</div>
    <table class="xxgk">
      <tr><td>索引号：</td><td>11410100/2023-00012</td><td>发布机构：</td><td>某某市工业和信息化局</td></tr>
      <tr><td>成文日期：</td><td>2023年06月01日</td><td>文号：</td><td>某工信〔2023〕12号</td></tr>
    </table>
    <div class="content" id="zoom"><h1>关于支持小微企业发展的通知</h1>
      <p>一、对首次升规的企业给予<strong>10万元</strong>一次性奖励。</p>
      <p>二、申报材料包括营业执照和财务报表。</p></div>
    <div class="footer">版权所有：某某市人民政府 网站标识码 4101000001</div>
    </body></html>"""
    loaded = load_bytes("notice.html", html.encode("gbk"))
    assert "一、对首次升规的企业给予10万元一次性奖励。" in loaded.text.split("\n")
    for boilerplate in ("首页", "当前位置", "版权所有", "tracking", "索引号"):
        assert boilerplate not in loaded.text
    assert loaded.fields["issuer"] == "某某市工业和信息化局"
    assert loaded.fields["doc_number"] == "某工信〔2023〕12号"
    document = build_document(loaded)
    assert document.title == "关于支持小微企业发展的通知"
    assert document.date == "2023-06-01"
    assert document.doc_number == "某工信〔2023〕12号"


def test_hostile_html_keeps_no_script():
    html = "<html><body><div class='content'><p>一、奖励10万元。</p><script>alert(1)</script><img src=x onerror=alert(2)></div></body></html>"
    text = load_bytes("x.htm", html.encode()).text
    assert text == "一、奖励10万元。"


def test_docx_paragraphs_and_tables(tmp_path):
    import docx

    document = docx.Document()
    for line in POLICY.split("\n"):
        document.add_paragraph(line)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "奖励标准"
    table.rows[0].cells[1].text = "20万元"
    path = tmp_path / "通知.docx"
    document.save(path)
    text = read_file(path).text
    assert text.startswith(POLICY)
    assert "奖励标准 20万元" in text


def test_pdf_text_with_wrapped_lines(tmp_path):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    path = tmp_path / "notice.pdf"
    pdf = canvas.Canvas(str(path))
    pdf.setFont("STSong-Light", 11)
    lines = [
        "关于支持小微企业发展的通知",
        "一、对首次升规纳统的工业企业给予一次性奖励，奖励标准为每家",
        "10万元，由县财政局统一拨付。",
        "二、申报材料包括营业执照和财务报表。",
    ]
    for row, line in enumerate(lines):
        pdf.drawString(60, 800 - 18 * row, line)
    pdf.save()
    text = read_file(path).text.split("\n")
    assert text[0] == "关于支持小微企业发展的通知"
    assert "一、对首次升规纳统的工业企业给予一次性奖励，奖励标准为每家10万元，由县财政局统一拨付。" in text
    assert text[-1] == "二、申报材料包括营业执照和财务报表。"


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"", "空的"),
        ("blank.txt", b"  \n\n ", "空的"),
        ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG 图片"),
        ("data.txt", b"\x00\x01\x02 binary \x00 records", "二进制"),
        ("garbage.txt", b"\x81\xff" * 40, "编码"),
        ("table.xlsx", b"PK\x03\x04", "不支持的文件类型"),
        ("noext", b"hello", "不支持的文件类型"),
        ("broken.docx", b"PK\x03\x04 this is not a real zip", ".docx"),
        ("fake.docx", b"plain text pretending", ".docx"),
        ("broken.pdf", b"%PDF-1.4\n garbage without objects", "PDF"),
        ("fake.pdf", b"not a pdf at all", "PDF"),
        ("report.txt", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>", "内容是PDF 文件，与扩展名“.txt”不符"),
        ("page.html", b"PK\x03\x04\x14\x00 <html>", "与扩展名“.html”不符"),
        ("notes.md", b"MZ\x90\x00\x03 This program cannot be run in DOS mode", "可执行程序"),
        ("scan.pdf", b"\xff\xd8\xff\xe0\x00\x10JFIF", "JPEG 图片"),
        ("old.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "另存为 .docx"),
        ("archive.docx", _zip({"readme.txt": b"hello"}), "不是 Word 文档"),
        ("markup-only.html", b"<html><script>alert(1)</script><style>p{}</style></html>", "没有可读的文字"),
        ("unclosed.html", b"<html><body><div><p><table><tr><td>", "没有可读的文字"),
    ],
)
def test_bad_files_are_rejected_by_name_in_chinese(name, data, reason):
    with pytest.raises(DocumentRejected) as caught:
        load_bytes(name, data)
    message = str(caught.value)
    assert name in message and reason in message


def test_file_over_size_limit_is_rejected(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes("政策".encode() * 1000)
    with pytest.raises(DocumentRejected, match="超过上限"):
        read_file(path, max_bytes=1000)


def test_docx_zip_bomb_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"0" * (210 * 1024 * 1024))
    with pytest.raises(DocumentRejected, match="压缩炸弹"):
        load_bytes("bomb.docx", buffer.getvalue())
