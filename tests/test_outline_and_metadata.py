"""The outline parser and metadata extraction on the five bundled policies and on
generated texts with other numbering styles."""

from __future__ import annotations

import pytest

from knowledge.errors import DocumentRejected
from knowledge.index import bundled_policies
from knowledge.loaders import LoadedFile, read_file
from knowledge.metadata import build_document, normalize_date, parse_sidecar, read_sidecar
from knowledge.models import PolicyDocument
from knowledge.outline import parse_clauses
from knowledge.text import count_tokens

SEEDS = {
    "huiji": "huiji-2023-proposal-reply.txt",
    "zhengzhou": "zhengzhou-2024-sme-development-reply.txt",
    "wenxian": "wenxian-2023-wanrenzhuwanqi-plan.txt",
    "jinhua": "jinhua-2023-sme-regulation-reply.txt",
    "bulletin": "zhengzhou-2022-wanrenzhuwanqi-bulletin.txt",
}


def seed(name: str) -> PolicyDocument:
    path = bundled_policies() / SEEDS[name]
    return build_document(read_file(path), read_sidecar(path))


def paths_of(name: str) -> dict[str, str]:
    return {c.clause_path: c.text for c in parse_clauses(seed(name))}


@pytest.mark.parametrize("name", SEEDS)
def test_every_clause_quotes_the_document_exactly_and_fits_the_budget(name):
    document = seed(name)
    clauses = parse_clauses(document, max_tokens=400)
    assert len(clauses) >= 10
    for clause in clauses:
        assert document.text[clause.start:clause.end] == clause.text
        assert clause.text == clause.text.strip()
        assert count_tokens(clause.text) <= 400
    assert [c.ordinal for c in clauses] == list(range(len(clauses)))
    assert len({c.clause_id for c in clauses}) == len(clauses)
    starts = [c.start for c in clauses]
    assert starts == sorted(starts), "clauses come in document order"


@pytest.mark.parametrize("name", SEEDS)
def test_clause_ids_are_stable_across_reparse(name):
    first = [(c.clause_id, c.start) for c in parse_clauses(seed(name))]
    assert first == [(c.clause_id, c.start) for c in parse_clauses(seed(name))]


def test_huiji_reply_paths_and_yishi_runs():
    paths = paths_of("huiji")
    first_item = paths["二、坚持政策引导,加大企业纾困帮扶力度 > (一)加大对辖区中小企业纾困帮扶力度"]
    # The section heading has no body of its own, so its first item quotes it too.
    assert first_item.startswith(
        "二、坚持政策引导,加大企业纾困帮扶力度\n"
        "(一)加大对辖区中小企业纾困帮扶力度。制定出台《关于进一步加大对中小企业纾困帮扶力度的实施意见》(惠政办〔2022〕4号)"
    )
    second = paths["一、坚持多措并举,深入开展“万人助万企”活动 > 二是"]
    assert second.startswith("二是自“万人助万企”活动开展以来,累计收集问题633个")
    assert "三是" not in second
    assert "惠济区科技和工业信息化局\n2023年5月15日" in paths["落款"]


def test_zhengzhou_reply_long_section_is_split_at_sentences():
    clauses = [c for c in parse_clauses(seed("zhengzhou")) if c.clause_path == "一、大力开展政策宣传,加大财政扶持力度"]
    assert len(clauses) >= 2
    assert all(c.clause_id.startswith("zhengzhou-2024-sme-development-reply:1~") for c in clauses)
    giant = next(c for c in clauses if "首次获评的“小巨人”企业" in c.text)
    assert "分别给予200万元、50万元一次性奖励" in giant.text
    assert giant.text.endswith("。"), "pieces end at a sentence boundary"


def test_wenxian_plan_three_levels():
    clauses = {c.clause_id: c for c in parse_clauses(seed("wenxian"))}
    procurement = clauses["wenxian-2023-wanrenzhuwanqi-plan:2.1.4"]
    assert procurement.clause_path == "二、重点任务 > (一)聚力打造先进链群 > 4.加强产业链上下游企业适配对接"
    assert "2023年政府采购工程项目预留比例提高至40%以上" in procurement.text
    assert clauses["wenxian-2023-wanrenzhuwanqi-plan:3.2"].clause_path == "三、保障措施 > (二)压实责任链条"
    assert clauses["wenxian-2023-wanrenzhuwanqi-plan:intro"].text.startswith("为深入贯彻省委、省政府")


def test_jinhua_reply_paths():
    paths = paths_of("jinhua")
    first = paths["一、当前主要做法 > (三)政策撬动,激励发展 > 一是"]
    assert "对获得国家级、省级“隐形冠军”企业分别给予50万元和30万元的一次性奖励" in first
    assert "义乌市对评为国家级“隐形冠军”企业给予200万元奖励" in paths["一、当前主要做法 > (三)政策撬动,激励发展 > 二是"]
    assert "联系电话:0579-82469726" in paths["落款"]
    assert not any("朗读" in text or "浏览量" in text for text in paths.values()), "portal header is not content"


def test_bulletin_sections_and_wrapped_titles():
    paths = paths_of("bulletin")
    assert "工作组动态 > 第十四工作组到郑东新区考察应急转贷周转资金运行情况" in paths
    assert "郑东新区已累计投放转贷资金和种子资金业务7.2亿元" in paths[
        "工作组动态 > 第十四工作组到郑东新区考察应急转贷周转资金运行情况"
    ]
    assert "局委动态 > 市工信局举办“专精特新”中小企业知识产权专题线上培训会" in paths
    assert "开发区、区县(市)动态 > 上街区举办企业家座谈会" in paths
    huiji = [c for c in parse_clauses(seed("bulletin")) if c.clause_path.endswith("惠济区出台助企“三十条”")]
    assert len(huiji) == 2, "a long item is split into sentence-bounded pieces under one path"
    assert "最高可给予200万元一次性区级补助" in huiji[0].text
    assert huiji[1].text.startswith("2022年税务部门办理正常出口退税")


def test_regulation_with_chapters_articles_and_parenthesized_numbers():
    text = "\n".join([
        "第一章 总则",
        "第一条 为支持中小企业发展，制定本办法。",
        "第二条 本办法适用于本市登记注册的企业。",
        "第二章 扶持措施",
        "第三条 对符合条件的企业给予以下支持：",
        "(1)首次认定的给予20万元奖励；",
        "(2)复核通过的给予10万元奖励。",
    ])
    clauses = {c.clause_path: c for c in parse_clauses(PolicyDocument("reg", "办法", text))}
    assert clauses["第一章总则 > 第一条为支持中小企业发展，制定本办法"].clause_id == "reg:ch1.art1"
    # A lead-in line with nothing but its items is not a clause of its own; it lives
    # on in the items' paths.
    assert "第二章扶持措施 > 第三条对符合条件的企业给予以下支持" not in clauses
    item = clauses["第二章扶持措施 > 第三条对符合条件的企业给予以下支持 > (2)复核通过的给予10万元奖励"]
    assert item.clause_id == "reg:ch2.art3.2"


def test_full_width_parentheses_and_numbered_items_with_dunhao():
    text = "一、支持措施\n（一）资金奖励\n1、首次升规奖励10万元。\n2、连续三年增长奖励5万元。\n（二）金融支持\n贷款贴息50%。"
    clauses = parse_clauses(PolicyDocument("d", "t", text))
    assert [c.clause_path for c in clauses] == [
        "一、支持措施 > （一）资金奖励 > 1、首次升规奖励10万元",
        "一、支持措施 > （一）资金奖励 > 2、连续三年增长奖励5万元",
        "一、支持措施 > （二）金融支持",
    ]
    assert [c.clause_id for c in clauses] == ["d:1.1.1", "d:1.1.2", "d:1.2"]


def test_a_list_of_attached_files_stays_with_the_article_that_lists_them():
    text = ("第一条 对研发投入给予补助。\n第二条 本办法自2018年1月1日起施行。\n附件：\n"
            "1.研究与开发资金管理办法\n2.创新主体培育实施细则")
    clauses = parse_clauses(PolicyDocument("d", "t", text))
    assert [c.clause_id for c in clauses] == ["d:art1", "d:art2"]
    assert clauses[-1].text.startswith("第二条 本办法自2018年1月1日起施行。") and clauses[-1].text.endswith("实施细则")


EXPECTED_METADATA = {
    "huiji": ("关于“产业强区推动惠济区高质量发展”提案的答复", "", "惠济区科技和工业信息化局", "2023-05-15", "惠济区", "区县"),
    "zhengzhou": ("关于促进中小企业健康发展建议的答复", "", "郑州市工业和信息化局", "2024-06-28", "郑州市", "市"),
    "wenxian": ("温县2023年深化“万人助万企”活动实施方案", "", "", "", "温县", "区县"),
    "jinhua": ("关于对金华市八届人大三次会议义12号建议答复的函", "金经信办建〔2023〕31号", "金华市经济和信息化局", "2023-07-13", "金华市", "市"),
    "bulletin": ("郑州市“万人助万企”活动工作简报（2022年4月）", "", "郑州市“万人助万企”活动领导小组办公室", "", "郑州市", "市"),
}


@pytest.mark.parametrize("name", SEEDS)
def test_metadata_of_every_seed(name):
    document = seed(name)
    found = (document.title, document.doc_number, document.issuer, document.date, document.region, document.level)
    assert found == EXPECTED_METADATA[name]
    assert document.source == SEEDS[name]


def test_metadata_from_text_alone_without_sidecars():
    path = bundled_policies() / SEEDS["huiji"]
    document = build_document(read_file(path))
    assert document.title == "huiji-2023-proposal-reply", "no title in the text: the file name stands in"
    assert (document.issuer, document.date, document.region) == ("惠济区科技和工业信息化局", "2023-05-15", "惠济区")
    assert not document.text.startswith("•")


def test_sidecar_overrides_extracted_fields():
    loaded = LoadedFile("notice.txt", "关于奖励的通知\n一、奖励10万元。\n某某县人民政府\n2023年5月1日")
    document = build_document(loaded, {"title": "新标题", "date": "2024-01-02", "region": "温县"})
    assert (document.title, document.date, document.region, document.level) == ("新标题", "2024-01-02", "温县", "区县")
    assert document.issuer == "某某县人民政府"


@pytest.mark.parametrize(
    ("yaml_text", "reason"),
    [
        ("title: [unclosed", "YAML"),
        ("- a\n- b", "字段: 值"),
        ("author: 某人", "未知字段"),
        ("date: 去年", "日期"),
        ("level: 乡镇", "层级"),
        ("doc_id: 中文编号", "doc_id"),
    ],
)
def test_bad_sidecars_are_rejected(yaml_text, reason):
    with pytest.raises(DocumentRejected, match=reason):
        parse_sidecar(yaml_text, "x.meta.yaml")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2023年5月15日", "2023-05-15"),
        ("2023-7-3", "2023-07-03"),
        ("2023.07.13", "2023-07-13"),
        ("二〇二三年五月十五日", "2023-05-15"),
        ("二〇二二年十二月三十一日", "2022-12-31"),
        ("2023年13月1日", ""),
        ("明天", ""),
    ],
)
def test_dates_are_normalized(raw, expected):
    assert normalize_date(raw) == expected
