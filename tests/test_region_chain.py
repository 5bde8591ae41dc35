"""The region chain on real files: a district's documents sit under its city, its
province and the country. A question about 甘井子区 reaches those and nothing else; a
place anywhere in China with no document in its chain is refused by name."""

from __future__ import annotations

import shutil

import httpx
import pytest

from assistant.config import Settings
from assistant.direct import profile_from_text
from assistant.service import Assistant
from knowledge.index import KnowledgeBase
from knowledge.regions import ancestors, find_regions
from tests.web import AppServer
from ui.app import create_app

CHAIN_FILES = (
    "甘井子区支持科技创新若干规定.docx",
    "大连市跨境电子商务扶持资金管理暂行规定.docx",
    "辽宁省企业技术创新专项资金管理办法.docx",
)


@pytest.fixture(scope="module")
def chain_data_dir(corpus_data_dir, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("chain") / "data"
    shutil.copytree(corpus_data_dir, data_dir)
    return data_dir


@pytest.fixture(scope="module")
def assistant(chain_data_dir, e5):
    settings = Settings(data_dir=chain_data_dir)
    return Assistant.open(settings, kb=KnowledgeBase.open(settings.knowledge_config(), embedder=e5))


def regions_cited(answer) -> set[str]:
    return {c.region for c in answer.citations}


def test_the_corpus_documents_get_their_places(assistant):
    by_source = {d.source: d for d in assistant.kb.documents()}
    assert [(by_source[f].region, by_source[f].level) for f in CHAIN_FILES] == [
        ("甘井子区", "区县"), ("大连市", "市"), ("辽宁省", "省")
    ]


def test_a_district_question_reaches_its_city_and_province_and_nothing_else(assistant):
    scope, uncovered, ambiguous = assistant.region_scope("甘井子区有哪些科技创新扶持？")
    assert set(scope) == {"甘井子区", "大连市", "辽宁省"} and not uncovered and not ambiguous
    answer = assistant.ask("甘井子区对企业研发投入有什么补助？")
    assert not answer.refused, answer.text
    assert regions_cited(answer) <= {"甘井子区", "大连市", "辽宁省"}


def test_the_page_region_scopes_a_question_that_names_no_place(assistant):
    scope, _, _ = assistant.region_scope("科技创新有什么补助？", region="甘井子区")
    assert set(scope) == {"甘井子区", "大连市", "辽宁省"}
    answer = assistant.ask("跨境电子商务企业有什么扶持？", region="大连市")
    assert regions_cited(answer) <= {"大连市", "辽宁省"}, "a city page does not quote the district's rules"


def test_a_question_in_short_form_finds_its_district(assistant):
    scope, _, _ = assistant.region_scope("甘井子的科技企业有什么奖励")
    assert "甘井子区" in scope and "郑州市" not in scope


@pytest.mark.parametrize(("question", "named"), [
    ("西安的科技企业有什么补贴？", "西安市"),
    ("广州市天河区的研发补助是多少？", "天河区"),
    ("青山区小巨人企业奖励多少？", "青山区"),
    ("西安高新区企业研发费用补贴多少？", "西安市"),  # not 郑州's 高新区, the only one covered
])
def test_a_place_with_no_document_in_its_chain_is_refused_by_name(assistant, question, named):
    answer = assistant.ask(question)
    assert answer.refused and named in answer.text
    assert "金华" not in answer.text.split("目前收录")[0], "never another place's figure"


def test_a_place_the_enterprise_comes_from_does_not_scope_the_question(assistant):
    answer = assistant.ask("我们是西安过来的科技企业，甘井子对研发投入有什么补助？")
    assert not answer.refused, answer.text
    assert regions_cited(answer) <= {"甘井子区", "大连市", "辽宁省"} and "西安" not in answer.text
    scope, uncovered, _ = assistant.region_scope("我们是香港过来做创投的，投资能直接用人民币吗？", region="大连市")
    assert set(scope) == {"大连市", "辽宁省"} and not uncovered


def test_another_city_of_the_province_reaches_the_provinces_documents(assistant):
    scope, uncovered, _ = assistant.region_scope("沈阳市和平区企业并购有什么补助？")
    assert set(scope) == {"辽宁省"} and not uncovered


def test_a_shared_name_with_documents_in_only_one_place_goes_there(assistant):
    scope, uncovered, ambiguous = assistant.region_scope("高新区的企业有什么奖励？")
    assert "郑州市" in scope and not uncovered and not ambiguous


def test_the_api_accepts_only_real_regions_and_never_repeats_the_rest(chain_data_dir, e5):
    settings = Settings(data_dir=chain_data_dir)
    app = create_app(settings, Assistant.open(settings, kb=KnowledgeBase.open(settings.knowledge_config(), embedder=e5)))
    with AppServer(app) as server, httpx.Client(base_url=server.url, timeout=60) as client:
        for region in ("<img src=x onerror=alert(1)>", "13812345678", "火星市"):
            for path in ("/api/chat", "/api/chat/stream"):
                response = client.post(path, json={"question": "研发补助多少？", "region": region})
                assert response.status_code == 400, (path, region, response.text)
                assert region not in response.text and "地区" in response.json()["error"]["message"]
        good = client.post("/api/chat", json={"question": "研发投入补助多少？", "region": "甘井子区"}).json()
        assert {c["region"] for c in good["citations"]} <= {"甘井子区", "大连市", "辽宁省"}


def test_an_upload_naming_no_place_is_stored_with_a_warning_until_staff_set_it(chain_data_dir, e5, tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(chain_data_dir, data_dir)
    token = "region-warning-token-0c41"
    settings = Settings(data_dir=data_dir, admin_token=token)
    app = create_app(settings, Assistant.open(settings, kb=KnowledgeBase.open(settings.knowledge_config(), embedder=e5)))
    auth = {"Authorization": f"Bearer {token}"}
    with AppServer(app) as server, httpx.Client(base_url=server.url, timeout=120) as client:
        body = client.post("/api/documents", headers=auth, files=[
            ("files", ("关于支持企业发展的通知.txt", "一、对新认定的企业奖励5万元。\n".encode(), "text/plain"))
        ]).json()
        assert body["added"] and "未识别地区" in body["warnings"][0]["warning"]
        stored = next(d for d in client.get("/api/documents").json() if d["doc_id"] == body["added"][0]["doc_id"])
        assert stored["region"] == ""
        fixed = client.post("/api/documents", headers=auth, files=[
            ("files", ("关于支持企业发展的通知.txt", "一、对新认定的企业奖励5万元。\n".encode(), "text/plain")),
            ("files", ("关于支持企业发展的通知.meta.yaml", "region: 甘井子区\n".encode(), "text/yaml")),
        ]).json()
        assert fixed["updated"] and not fixed["warnings"]
        stored = next(d for d in client.get("/api/documents").json() if d["doc_id"] == body["added"][0]["doc_id"])
        assert (stored["region"], stored["level"]) == ("甘井子区", "区县")
        bad = client.post("/api/documents", headers=auth, files=[
            ("files", ("关于支持企业发展的通知.txt", "一、对新认定的企业奖励5万元。\n".encode(), "text/plain")),
            ("files", ("关于支持企业发展的通知.meta.yaml", "region: 火星市\n".encode(), "text/yaml")),
        ])
        assert bad.status_code == 400 or bad.json()["rejected"]


@pytest.mark.parametrize("question, places", [
    ("温县做调味料的小厂，融资和政府采购上有啥照顾？", ["温县"]),  # 和政(县) across 政府
    ("我们想在沈阳郊区办个合作社，登记要交费吗？", ["沈阳市"]),  # 郊区, a former county's name
    ("甘井子的小厂能拿多少补贴", ["甘井子区"]),
    # 保税区 is what kind of area, not 衡阳综合保税区's short form.
    ("我们在大连保税区做进口车，能搞展车直接卖吗？", ["大连市"]),
    ("园区里的化工园区企业有啥补贴？", []),
    # 上高(县) across 高新技术, 长兴(县) across 长兴岛: the word they cut into is the dictionary's.
    ("去年刚评上高新技术企业，区里还给钱不？", []),
    ("营口的小厂，今年评上高新技术企业了，有奖励吗", ["营口市"]),
    ("评上高企了还能申请研发补助不", []),  # 高企, a policy term
    ("我们在大连长兴岛开了个配件厂，用地咋批？", ["大连市"]),
    # Both ends inside words (评上 and 高新, 马上 and 高考): no place, however rare the words;
    # a place with only one end in a word still is.
    ("刚评上高新企业，有啥奖励", []),
    ("孩子马上高考，我这小店还能申请贷款不", []),
    ("在上高办厂有补贴吗", ["上高县"]),
    ("五常有啥补贴给种粮的", ["五常市"]),
    # A city's short form the dictionary splits between two words (医保 / 定点, 以上 / 海外仓)
    # is none; one it keeps whole between them (明天 / 大连 / 降温) is.
    ("养老院的医务室能进医保定点吗", []),
    ("租了1000平方米以上海外仓，有补贴吗", []),
    ("明天大连降温不？我们厂的暖气补贴咋申请", ["大连市"]),
    # 个 after a verb counts what follows (租个旧厂房), it does not open 个旧(市).
    ("我们是大连的检测公司，还想租个旧厂房扩实验室", ["大连市"]),
    # A name shared by a city and a county inside it is the city, which holds either.
    ("铁岭的生猪养殖公司，规上企业，能享受啥", ["铁岭市"]),
    ("大连庄河乡下做海产品加工的小厂", ["大连市", "庄河市"]),  # 乡下: countryside, not a township
    # New areas no code table lists are read as the region they lie in (not 安新县 inside 贵安新区).
    ("郑东新区做跨境电商的规上企业，能享受啥", ["郑州市"]),
    ("贵安新区的数据中心有电价补贴吗", ["贵阳市"]),
    ("我们刚在雄安新区注册了公司，有啥政策", ["河北省"]),
    # Places on one chain: the enterprise is in the innermost.
    ("我们入驻了温县产业集聚区，是焦作那边的小厂，有啥补贴？", ["温县", "焦作市"]),
])
def test_the_place_an_owner_names_is_read_and_no_other(question, places):
    assert find_regions(question, informal=True) == places
    profile, _ = profile_from_text(question)
    innermost = max(places, key=lambda place: len(ancestors(place)), default=None)
    assert (profile.region if profile else None) == innermost
