"""政策直达: benefit items read from clauses at ingest, kept with them and read afresh
when a document changes; an enterprise profile matched against them over HTTP and in
chat; bad profiles answered in Chinese with what was assumed."""

from __future__ import annotations

import shutil

import httpx
import pytest
from playwright.sync_api import expect

from assistant.config import Settings
from assistant.direct import amount_text, checked_profile, match, profile_from_text
from assistant.service import Assistant
from knowledge.benefits import BenefitRecord, document_benefits, extract_benefits, terms, valid_until
from knowledge.loaders import LoadedFile
from knowledge.metadata import build_document
from knowledge.outline import parse_clauses
from knowledge.index import KnowledgeBase
from tests.accessibility import axe_violations, describe
from tests.test_pages import screenshot
from tests.web import AppServer, StaticSite, free_port
from ui.app import create_app

TOKEN = "direct-console-token-93ab"
SITE_PORT = free_port()
# A county the bundled documents do not cover (nor any place containing it), so every item
# below comes from this file.
DENGFENG = (
    "宁乡市支持企业高质量发展若干措施\n宁乡市人民政府\n"
    "一、梯度培育\n对首次认定的国家级专精特新“小巨人”企业给予一次性奖励100万元，省级专精特新中小企业奖励30万元。\n"
    "二、研发补助\n对规模以上工业企业研发投入，按不超过投入额的20%给予补助，单个企业最高补助200万元。\n"
    "三、总部经济\n对总部企业按年度地方财政贡献给予奖励：贡献300万元至500万元的，奖励30万元；"
    "贡献500万元至1000万元的，奖励60万元；贡献1000万元以上的，奖励100万元。\n"
    "四、小微企业\n对新入驻园区的小微企业，按每平方米每月10元给予房租补贴，每家企业每年最高5万元。\n"
    "五、附则\n本措施自2024年1月1日起施行，有效期至2099年12月31日。\n"
)


def records_of(filename: str, text: str) -> list[BenefitRecord]:
    """The benefit items of a made-up document, read as ingest reads them."""
    document = build_document(LoadedFile(filename, text))
    clauses = parse_clauses(document)
    return [BenefitRecord(item, clause, document)
            for clause, items in zip(clauses, document_benefits(clauses, document)) for item in items]


def offered(records: list[BenefitRecord], region: str, **profile) -> list:
    """What the page shows a profile: the items that may apply, then those to confirm."""
    result = match(records, checked_profile(region, **profile)[0])
    return list(result.items + result.unsure)


def test_what_a_clause_grants_is_read_item_by_item():
    items = extract_benefits(
        "对首次获评的“小巨人”企业、专精特新企业，分别给予200万元、50万元一次性奖励；"
        "营业收入1亿元（含）以上的，给予10万元奖励。实缴注册外资200万美元（含）以上的，给予100万元奖励。"
    )
    assert [(i.amount_yuan, i.who) for i in items] == [
        (2_000_000, ("小巨人",)), (500_000, ("专精特新",)), (100_000, ()), (1_000_000, ("外资企业",)),
    ]  # thresholds (1亿元, 200万美元) are conditions, not what is granted


def test_tiers_caps_and_units_are_kept_as_such():
    tiers, = extract_benefits("贡献100万元至300万元的，奖励10万元；贡献300万元至500万元的，奖励30万元；贡献500万元以上的，奖励50万元。")
    assert (tiers.tiers, tiers.amount_yuan) == ((100_000, 300_000, 500_000), 500_000)
    capped, = extract_benefits("按房租的50%给予补贴，补贴期限3年。单一企业最高补贴300万元。")
    assert (capped.rate, capped.cap_yuan, capped.amount_yuan) == (0.5, 3_000_000, None)
    after, = extract_benefits("为区内企业提供融资总额达到3000万元及以上的，给予融资总额1%的补贴。单一企业最高补贴300万元。")
    assert (after.rate, after.cap_yuan) == (0.01, 3_000_000)
    assert after.quote.startswith("为区内企业") and after.quote.count("300万元") == 1  # in order, once
    unit, = extract_benefits("按每平方米50元的标准给予一次性奖励，单个企业最高奖励300万元。")
    assert (unit.amount_yuan, unit.cap_yuan, unit.per_unit) == (50, 3_000_000, "每平方米")
    assert amount_text(unit) == "每平方米50元，最高300万元"
    housing, = extract_benefits("对人才首次购房的，提供每平方米1000元的一次性购房补贴，最高不超过10万元。")
    assert (housing.amount_yuan, housing.cap_yuan, housing.per_unit) == (1000, 100_000, "每平方米")
    trained, = extract_benefits("每培训1人给予2000元的资金扶持，每家企业每年最多不超过10万元。")
    assert (trained.amount_yuan, trained.cap_yuan, trained.per_unit) == (2000, 100_000, "每培训1人")
    paid_out, = extract_benefits("按月租金的3倍进行补助。补助金额最高不超过100万元，按40%、30%、30%的比例分三年发放。")
    assert (paid_out.rate, paid_out.cap_yuan) == (3.0, 1_000_000)  # three months' rent, capped; not 40%
    below, = extract_benefits("对企业500万元以下贷款贴息50%。")
    assert (below.rate, below.cap_yuan) == (0.5, None)  # 500万元以下 is which loans, not a cap
    over_two_years, = extract_benefits("按照设备投资额10%的比例分两年给予补助，最高不超过500万元。")
    assert (over_two_years.rate, over_two_years.cap_yuan) == (0.1, 5_000_000)
    limited, = extract_benefits("每培训1人给予2000元，且培训人员的比例限定在企业员工总数的15%以内。")
    assert (limited.amount_yuan, limited.rate) == (2000, None)  # a limit on whom, not a rate granted
    rate_tiers = extract_benefits("扶持的标准为：年度贡献在100万元至300万元的，扶持12%。年度贡献在300万元以上的，扶持20%。")
    assert [i.rate for i in rate_tiers] == [0.2]  # one grant in tiers, at most 20%
    assert extract_benefits("两项合计最多不超过企业当年新增经济贡献量的20%。") == []
    assert extract_benefits("支持企业加快发展，营业收入突破10亿元。") == []


def test_a_grant_in_kind_beside_a_figure_that_grants_nothing_is_read():
    land, = extract_benefits("对集约用地的鼓励类工业项目优先供应土地，出让底价可按不低于最低价标准的70%执行。")
    assert land.in_kind and land.benefit == "用地" and land.rate is None


@pytest.mark.parametrize(("clause", "benefit", "who"), [
    ("鼓励金融机构向服务业小微企业发放免抵押、免担保信用贷款。", "融资支持", ("小微企业",)),
    ("建立科技创新券制度，为科技型中小企业购买研发服务买单。", "服务券", ("科技型中小企业",)),
    ("对于首次发行上市的体育企业，可优先享受省市政府上市奖励和补贴政策。", "奖励", ()),
])
def test_loans_vouchers_and_priority_given_without_a_figure_are_items(clause, benefit, who):
    item, = extract_benefits(clause)
    assert (item.benefit, item.who) == (benefit, who)


@pytest.mark.parametrize("clause", [
    "严禁金融机构违规发放贷款。", "创新券的具体管理办法由市科技局另行制定。", "市科技局负责创新券的发放、兑付。",
])
def test_a_prohibition_or_a_duty_naming_loans_or_vouchers_grants_nothing(clause):
    assert extract_benefits(clause) == []


def test_amounts_as_policy_texts_write_them_and_odd_ones_never_guessed():
    figures = [(i.amount_yuan, i.tiers) for t in (
        "给予5千万元奖励。", "给予一亿五千万元补助。", "给予10万元至50万元奖励。",
    ) for i in extract_benefits(t)]
    assert figures == [(50_000_000, ()), (150_000_000, ()), (500_000, (100_000, 500_000))]
    assert extract_benefits("给予99999999999999999999999亿元奖励。")[0].amount_yuan is None  # not a grant size
    assert [i.rate for i in extract_benefits("按百分之百给予补贴。")] == [None]  # unread, and no crash


def test_recipients_and_levels_are_read_from_where_they_stand():
    both = extract_benefits("对国家级、省级专精特新企业分别给予100万元、50万元奖励。")
    assert [(i.who, i.title_level) for i in both] == [(("专精特新",), "national"), (("专精特新",), "provincial")]
    later, = extract_benefits("对认定为省级专精特新的企业给予50万元奖励，按照国家有关规定执行。")
    assert later.title_level == "provincial"
    became = [extract_benefits(t)[0].who for t in ("对首次成为规上企业的，给予10万元奖励。", "对申报成功的高新技术企业，给予20万元奖励。")]
    assert became == [("规上企业",), ("高新技术企业",)]
    renewed = extract_benefits("对新认定的高新技术企业给予20万元奖励，对重新认定的给予10万元奖励。")
    assert [i.who for i in renewed] == [("高新技术企业",), ("高新技术企业",)]


def test_a_documents_term_decides_whether_its_items_are_in_force():
    assert valid_until("自2019年3月1日起施行，有效期四年") == "2023-02-28"
    assert valid_until("有效期至2025年12月31日") == "2025-12-31"
    assert valid_until("自发布之日起施行", "2024-01-01") == ""


@pytest.fixture(scope="module")
def server(bundled_data_dir, e5, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("direct") / "data"
    shutil.copytree(bundled_data_dir, data_dir)
    settings = Settings(data_dir=data_dir, rate_limit="off", rate_limit_per_ip="off", admin_token=TOKEN,
                        allowed_origins=(f"http://127.0.0.1:{SITE_PORT}",))
    kb = KnowledgeBase.open(settings.knowledge_config(), embedder=e5)
    assistant = Assistant.open(settings, kb=kb)
    with AppServer(create_app(settings, assistant)) as running:
        report = running.app.state.library.upload([("宁乡市支持企业高质量发展若干措施.txt", DENGFENG.encode())])
        assert report.added, report.rejected
        yield running


@pytest.fixture
def api(server):
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client


def test_a_profile_gets_the_items_of_its_place_sorted_by_amount(api):
    body = api.post("/api/match", json={"region": "宁乡", "industry": "制造业", "size": "规上企业", "titles": ["国家级专精特新“小巨人”"]}).json()
    amounts = [(i["benefit"], i["amount_yuan"], i["rate"], i["cap_yuan"]) for i in body["items"]]
    # A rate is ranked by its cap: at most 200万元 comes before a fixed 100万元.
    assert amounts == [("补贴", None, 0.2, 2_000_000), ("奖励", 1_000_000, None, None), ("奖励", 300_000, None, None)]
    first = body["items"][1]
    assert first["quote"] in DENGFENG and first["clause_id"].startswith(first["doc_id"] + ":")
    assert first["status"] == "match" and first["valid_until"] == "2099-12-31" and not first["expired"]
    # Left out: the 总部企业 tiers (the profile is not one) and the 小微企业 rent (it is 规上).
    assert body["unsure"] == [] and body["assumed"] == []
    vaguer = api.post("/api/match", json={"region": "宁乡", "size": "规上企业", "titles": ["小巨人"]}).json()
    # Without the title's level both awards are 需确认; without an industry the 工业企业 grant is left out, and said so.
    assert vaguer["items"] == [] and [i["amount_yuan"] for i in vaguer["unsure"]] == [1_000_000, 300_000]
    assert any("未说明行业" in note for note in vaguer["assumed"])
    assert body["total_yuan"] == 1_000_000 + 2_000_000 + 300_000


def test_a_place_elsewhere_gets_none_of_these_items(api):
    body = api.post("/api/match", json={"region": "成都市武侯区", "titles": ["专精特新"]}).json()
    assert not [i for i in body["items"] + body["unsure"] if "宁乡" in i["title"]]


@pytest.mark.parametrize(("payload", "message"), [
    ({"region": "纽约"}, "没有识别出“纽约”这个地区"),
    ({"region": ""}, "请告诉我企业所在的地区"),
])
def test_a_place_outside_china_is_refused_in_chinese(api, payload, message):
    response = api.post("/api/match", json=payload)
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]


def test_contradictions_and_unknown_titles_are_said_not_guessed(api):
    body = api.post("/api/match", json={"region": "宁乡市", "titles": ["火星认证", "小微企业"], "size": "规上企业"}).json()
    assert any("火星认证" in note and "已忽略" in note for note in body["assumed"])
    body = api.post("/api/match", json={"region": "宁乡市", "industry": "制造业", "size": "大中型"}).json()
    assert any("无法识别" in note for note in body["assumed"])
    assert {i["who"][0] for i in body["unsure"] if i["who"]} >= {"规上企业", "小微企业"}


def test_an_owner_asking_what_they_can_get_gets_the_list_in_chat(api):
    answer = api.post("/api/chat", json={"question": "我们是宁乡的规上制造业企业，评上了国家级小巨人，能享受哪些政策？"}).json()
    assert answer["mode"] == "direct" and not answer["refused"]
    assert "可能适用的政策有 3 项" in answer["answer"]
    first_line = answer["answer"].splitlines()[1]
    assert first_line.startswith("· 补贴 20%，最高200万元") and first_line.endswith("[1]")
    assert answer["citations"][0]["quote"] in answer["citations"][0]["text"]
    asked = api.post("/api/chat", json={"question": "我们公司能享受哪些政策？"}).json()
    assert asked["mode"] == "clarify" and "哪个地区" in asked["answer"]
    candidate = api.post("/api/chat", json={"question": "我们是宁乡的隐形冠军培育企业，能享受哪些政策？"})
    assert candidate.status_code == 200 and candidate.json()["mode"] == "direct", candidate.text


def test_items_follow_the_document_when_it_changes(server, api):
    changed = DENGFENG.replace("一次性奖励100万元", "一次性奖励150万元")
    report = server.app.state.library.upload([("宁乡市支持企业高质量发展若干措施.txt", changed.encode())])
    assert report.updated, report.rejected
    body = api.post("/api/match", json={"region": "宁乡市", "titles": ["国家级小巨人"]}).json()
    assert [i["amount_yuan"] for i in body["items"]] == [1_500_000, 300_000]  # a 小巨人 is 专精特新 too
    stored = server.app.state.library.kb.registry.benefit_rows()
    assert any(text and "1500000" in text for _, text in stored)  # kept with the clause at ingest
    server.app.state.library.upload([("宁乡市支持企业高质量发展若干措施.txt", DENGFENG.encode())])


def test_a_cap_on_one_grant_stays_with_it_and_a_grant_after_a_documents_cap_is_read():
    interest, = extract_benefits("对企业贷款按LPR的50%给予贴息，单个企业享受本政策贴息总额不超过30万元。")
    assert (interest.rate, interest.cap_yuan) == (0.5, 300_000)
    after, = extract_benefits("同一企业享受本办法各项扶持资金总额不超过300万元，但对新认定的国家级小巨人企业另给予50万元奖励。")
    assert (after.amount_yuan, after.who) == (500_000, ("小巨人",))


def test_a_documents_cap_on_all_its_grants_holds_the_total_down(server, api):
    capped = (
        "浏阳市促进烟花产业发展扶持办法\n浏阳市人民政府\n"
        "第一条 对年度纳税额首次超过1亿元的烟花企业给予一次性奖励300万元。\n"
        "第二条 对年度技术改造投入超过1000万元的烟花企业，按投入额的10%给予补助，最高补助400万元。\n"
        "第三条 同一企业同一年度享受本办法各类扶持资金累计不超过500万元，企业可择优申报。\n"
    )
    report = server.app.state.library.upload([("浏阳市促进烟花产业发展扶持办法.txt", capped.encode())])
    assert report.added, report.rejected
    try:
        body = api.post("/api/match", json={"region": "浏阳市"}).json()
        amounts = sorted(i["amount_yuan"] or i["cap_yuan"] for i in body["items"])
        assert amounts == [3_000_000, 4_000_000]  # the cap itself grants nothing
        assert body["total_yuan"] == 5_000_000 and body["total_text"] == "500万元"
        note, = body["capped"]
        assert note["title"] == "浏阳市促进烟花产业发展扶持办法" and "累计不超过500万元" in note["quote"]
        chat = api.post("/api/chat", json={"question": "我们是浏阳的烟花企业，能享受哪些政策？"}).json()
        assert "合计约500万元" in chat["answer"] and "累计不超过500万元" in chat["answer"], chat["answer"]
    finally:
        server.app.state.library.remove(report.added[0][0])


@pytest.mark.parametrize("phone", [False, True], ids=["laptop", "phone"])
def test_the_direct_page_lists_cards_with_a_total_and_opens_the_clause(server, open_page, phone):
    page = open_page(1366, 900, phone=phone, bypass_csp=True)  # bypass: lets axe-core in
    label = "phone" if phone else "laptop"
    page.goto(server.url + "/")
    link = page.get_by_role("link", name="政策直达：填写企业情况，查能享受哪些政策 →")
    expect(link).to_have_attribute("href", "/direct")
    page.goto(server.url + "/direct")
    expect(page.get_by_role("heading", name="我的企业能享受哪些政策？")).to_be_visible()

    page.get_by_role("button", name="查找可享政策").click()  # no place yet: said next to the field
    expect(page.locator("#hq-region-error")).to_have_text("请填写企业所在地，如“大连市甘井子区”。")
    page.get_by_label("企业所在地").fill("火星")
    page.get_by_role("button", name="查找可享政策").click()
    expect(page.locator("#hq-region-error")).to_contain_text("没有识别出“火星”这个地区")

    page.get_by_label("企业所在地").fill("宁乡市")
    page.get_by_label("行业").select_option("制造业")
    page.get_by_label("企业规模").select_option("规上企业")
    page.get_by_label("小巨人", exact=True).check()
    page.get_by_label("小巨人的级别").select_option("national")
    page.get_by_role("button", name="查找可享政策").click()
    cards = page.locator("#hq-result > section", has=page.get_by_role("heading", name="可能适用")).locator(".hq-card")
    expect(cards).to_have_count(3)
    expect(cards.first.locator(".hq-amount")).to_have_text("20%，最高200万元")
    expect(page.locator(".hq-total")).to_have_text("330万元")
    page.get_by_label("小巨人的级别").select_option("")  # the level unknown: both awards are to be confirmed
    page.get_by_role("button", name="查找可享政策").click()
    unsure = page.locator("#hq-result > section", has=page.get_by_role("heading", name="需确认：要看企业是否符合条件"))
    expect(unsure.locator(".hq-card")).to_have_count(2)
    expect(unsure.locator(".hq-badge.hq-check")).to_have_count(2)
    expect(cards).to_have_count(1)
    violations = axe_violations(page)
    assert not violations, describe(violations)
    screenshot(page, f"direct-page-{label}")

    with page.context.expect_page() as opened:
        unsure.locator(".hq-card").first.get_by_role("link", name="查看原文").click()
    document = opened.value
    expect(document.locator("section.hq-clause.hq-target")).to_contain_text("一次性奖励")


def test_the_widget_links_to_the_direct_page_for_its_region(server, page, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text(
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>宁乡市政务网</title></head><body><h1>宁乡市政务网</h1>'
        f'<script src="{server.url}/widget.js" data-region="宁乡市" async></script></body></html>', encoding="utf-8")
    with StaticSite(site, port=SITE_PORT) as host:
        page.goto(host.url + "/index.html")
        page.locator("[data-huiqi-widget] .hq-bubble").click()
        link = page.frame_locator("[data-huiqi-widget] iframe").get_by_role("link", name="政策直达：按企业情况查可享政策 ↗")
        expect(link).to_have_attribute("href", "/direct?region=%E5%AE%81%E4%B9%A1%E5%B8%82")
    page.goto(server.url + "/embed")  # opened directly, not framed: no region from the address
    expect(page.get_by_role("link", name="政策直达：按企业情况查可享政策 ↗")).to_have_attribute("href", "/direct")


def test_staff_correct_an_item_and_the_correction_outlives_a_reindex(server, open_page, api):
    page = open_page(1366, 900, bypass_csp=True)
    page.goto(server.url + "/console/")
    page.locator("#hq-token input").fill(TOKEN)
    page.locator("#hq-login").click()
    page.get_by_role("tab", name="政策条目").click()
    expect(page.locator("#hq-benefit-summary")).to_contain_text("共 6 份文件，提取出")
    page.locator("#hq-benefit-doc input").click()
    page.get_by_role("option", name="宁乡市支持企业高质量发展若干措施（5 条）").click()
    table = page.locator("#hq-benefits")
    expect(table).to_contain_text("每平方米10元，最高5万元")
    page.get_by_label("更正第几条").fill("1")
    page.get_by_label("更正第几条").press("Tab")
    expect(page.get_by_label("金额（万元）")).to_have_value("100")
    page.get_by_label("金额（万元）").fill("120")
    page.get_by_role("button", name="保存更正").click()
    expect(page.locator("#hq-benefit-note")).to_contain_text("已保存第 1 条的更正")
    expect(table).to_contain_text("120万元")
    expect(table).to_contain_text("人工更正")
    violations = axe_violations(page)
    assert not violations, describe(violations)
    screenshot(page, "console-benefit-items")

    library = server.app.state.library
    doc_id = next(d.doc_id for d in library.documents() if d.title.startswith("宁乡市"))
    library.reindex(doc_id)  # the same words: the correction holds
    body = api.post("/api/match", json={"region": "宁乡", "titles": ["国家级小巨人"]}).json()
    assert body["items"][0]["amount_yuan"] == 1_200_000
    page.get_by_label("更正第几条").fill("1")
    page.get_by_role("button", name="删除这一条").click()
    expect(page.locator("#hq-benefit-note")).to_contain_text("已删除第 1 条")
    body = api.post("/api/match", json={"region": "宁乡", "titles": ["国家级小巨人"]}).json()
    assert [i["amount_yuan"] for i in body["items"]] == [300_000]
    # Correcting the item now listed first leaves the strike-out alone.
    page.get_by_label("更正第几条").fill("1")
    page.get_by_label("更正第几条").press("Tab")
    expect(page.get_by_label("金额（万元）")).to_have_value("30")
    page.get_by_label("金额（万元）").fill("40")
    page.get_by_role("button", name="保存更正").click()
    expect(page.locator("#hq-benefit-note")).to_contain_text("已保存第 1 条的更正")
    body = api.post("/api/match", json={"region": "宁乡", "titles": ["国家级小巨人"]}).json()
    assert [i["amount_yuan"] for i in body["items"]] == [400_000]


def test_a_list_question_is_answered_one_grant_a_line(api):
    answer = api.post("/api/chat", json={"question": "宁乡市对专精特新企业有哪些奖励？"}).json()
    lines = [line for line in answer["answer"].splitlines() if line.startswith("· ")]
    assert lines[:2] == ["· 奖励 100万元：对首次认定的国家级专精特新“小巨人”企业给予一次性奖励100万元[1]",
                         "· 奖励 30万元：省级专精特新中小企业奖励30万元。[1]"]
    assert [b["kind"] for b in answer["blocks"]].count("item") == len(lines) >= 2
    assert all(c["quote"] in c["text"] for c in answer["citations"])


def test_a_citys_grant_for_one_district_is_to_confirm_for_the_city_and_missing_elsewhere():
    bulletin = ("长沙市惠企政策简报\n长沙市工业和信息化局\n一、宁乡市出台助企措施\n"
                "对首次上规的企业，给予一次性奖励10万元。\n")
    records = records_of("长沙简报.txt", bulletin)
    assert [r.item.amount_yuan for r in records] == [100_000]

    def statuses(place: str) -> list[str]:
        result = match(records, checked_profile(place)[0])
        return [m.status for m in result.items + result.unsure]

    assert (statuses("宁乡市"), statuses("长沙市"), statuses("浏阳市")) == (["match"], ["check"], [])


def test_who_a_grant_is_for_is_read_from_its_subject_not_from_what_it_mentions():
    text = ("湘潭县科技企业培育办法\n湘潭县人民政府\n"
            "一、企业梯队\n对经认定的瞪羚企业和科技小巨人企业，一次性给予30万元奖励。\n"
            "二、金融支持\n将全县中小企业纳入高新技术企业培育库，优先给予信用贷款，优先提供政策性融资担保。\n"
            "三、税收\n符合条件的技术转让所得，免征企业所得税；经认定的高新技术企业，减按15%征收企业所得税。\n")
    records = records_of("湘潭县科技企业培育办法.txt", text)

    def got(**profile) -> list[str]:
        result = match(records, checked_profile("湘潭县", **profile)[0])
        return sorted(m.item.quote[:8] for m in result.items + result.unsure)

    # Either title earns the 30万元; the loan and the guarantee are two grants, and they are
    # for the enterprises put into the pool, not only for those already 高新技术企业.
    reward, loan, guarantee, exempt, rate = ("对经认定的瞪羚企", "将全县中小企业纳", "优先提供政策性融",
                                             "符合条件的技术转", "经认定的高新技术")
    assert got(titles=["科技小巨人"]) == sorted([reward, loan, guarantee, exempt])
    # A county's 科技小巨人 is not the national 专精特新“小巨人”, nor the other way round.
    assert got(titles=["专精特新小巨人"]) == sorted([loan, guarantee, exempt])
    assert got(titles=["瞪羚企业"]) == sorted([reward, loan, guarantee, exempt])
    assert got(titles=["高新技术企业"]) == sorted([loan, guarantee, exempt, rate])


def test_kinds_listed_with_deng_are_each_a_recipient_of_their_own():
    text = ("湘潭县科技企业减负办法\n湘潭县人民政府\n"
            "一、税费\n经认定的高新技术企业、技术先进型服务企业等减按15%的税率征收企业所得税。\n"
            "二、用地\n瞪羚企业、专精特新企业等优先安排用地指标。\n")
    records = records_of("湘潭县科技企业减负办法.txt", text)

    def sure(*titles: str) -> list[str]:
        return sorted(m.item.benefit for m in match(records, checked_profile("湘潭县", titles=list(titles))[0]).items)

    # "A、B等" gives examples of whom a grant is for: either one qualifies alone.
    assert sure("高新技术企业") == ["减免"]
    assert sure("瞪羚企业") == ["用地"]
    assert sure("专精特新", "技术先进型服务企业") == ["减免", "用地"]
    assert sure("科技型中小企业") == []


def test_a_grant_for_a_platform_or_a_zone_is_not_promised_to_every_enterprise():
    text = ("湘潭县开放型经济扶持办法\n湘潭县人民政府\n"
            "一、平台建设\n对企业自建的跨境电子商务第三方支付平台，一次性给予100万元扶持资金。\n"
            "二、园区企业\n对临湖智造产业园规划区域内的所有新建企业，免收其他涉企的行政事业性收费。\n"
            "三、外贸企业\n对跨境电子商务企业年出口额超过1000万元的，给予20万元奖励。\n")
    records = records_of("湘潭县开放型经济扶持办法.txt", text)
    result = match(records, checked_profile("湘潭县", industry="跨境电商")[0])
    assert [m.item.amount_yuan for m in result.items] == [200_000]  # the enterprise's own reward
    # Only the park's enterprises are exempt: not listed for one that did not say it is
    # there, but counted, so the owner knows what saying so would add.
    assert result.unsure == ()
    assert any("1 项只面向位于临湖智造产业园的企业" in note for note in result.assumed)
    inside = match(records, checked_profile("湘潭县临湖智造产业园", industry="跨境电商")[0])
    assert [m.item.benefit for m in inside.items] == ["奖励", "减免"]


def test_a_document_for_one_zone_grants_to_the_enterprises_there_as_the_owner_says():
    text = ("湘潭县支持临湖智造产业园开发建设的若干政策\n湘潭县人民政府\n"
            "第一条 对入驻的高新技术企业，给予50万元奖励。\n"
            "第二条 对到园区转化的科技成果项目，择优给予不低于100万元的奖励。\n")
    records = records_of("湘潭县支持临湖智造产业园开发建设的若干政策.txt", text)
    elsewhere = match(records, profile_from_text("湘潭县的高新技术企业，能享受哪些政策？")[0])
    assert elsewhere.items == () and elsewhere.unsure == ()
    assert any("2 项只面向位于临湖智造产业园的企业" in note and "湘潭县临湖智造产业园" in note for note in elsewhere.assumed)
    inside = match(records, profile_from_text("我们是入驻湘潭县临湖智造产业园的高新技术企业，能享受哪些政策？")[0])
    assert sorted(m.item.amount_yuan for m in inside.items) == [500_000, 1_000_000]
    # The form's place field says it as well.
    typed = match(records, checked_profile("湘潭县临湖智造产业园", titles=["高新技术企业"])[0])
    assert len(typed.items) == 2
    assert any("临湖智造产业园" in note for note in typed.assumed)  # said, so the owner sees it was read


def test_income_tax_relief_is_read_at_its_rate_and_for_whom_its_own_sentence_says():
    items = extract_benefits(
        "对年应纳税所得额低于30万元的小型微利企业，其所得减按50%计入应纳税所得额，按20%的税率缴纳企业所得税。"
        "对月销售额2万元至3万元的小规模纳税人，免征增值税。")
    assert [(i.benefit, i.rate, i.who) for i in items] == [("减免", 0.2, ("小微企业",)), ("减免", None, ("小规模纳税人",))]
    assert items[1].quote.startswith("对月销售额2万元至3万元的小规模纳税人")
    # A lower rate or a deduction granted to whom its own sentence opens with, not to the
    # kind the sentence before names.
    sports = extract_benefits(
        "对认定为高新技术企业的体育企业，减按15%的税率征收所得税；企业从事文化体育产业可按3%的税率计征营业税；"
        "体育企业发生的符合条件的广告费支出按规定在税前扣除。")
    assert [(i.rate, i.who) for i in sports] == [(0.15, ("高新技术企业",)), (0.03, ()), (None, ())]
    # A rate stated, not granted, is no item; a sentence pointing back keeps whom it points to.
    assert extract_benefits("居民企业按25%的税率缴纳企业所得税。对不再符合条件的企业，按25%的税率征收。") == []
    again = extract_benefits("对首次认定的小巨人企业，给予100万元奖励。该企业可再申请20万元贴息。")
    assert [i.who for i in again] == [("小巨人",), ("小巨人",)]


@pytest.mark.parametrize("question, industry, size", [
    ("我在郑州二七区开了家烩面馆，是个体户，想贷个十来万周转", "餐饮", "个体工商户"),
    ("温县做棉纺的小微企业，想参加政府采购投标，有啥照顾政策？", "纺织", "小微企业"),
    # What the business buys is not what it does.
    ("我们是瓦房店的数控机床整机厂，规上企业，打算首次采购大连产的芯片，能享受啥？", "装备制造", "规上企业"),
    ("新郑做国际货代的小微企业，能享受哪些政策？", "物流", "小微企业"),
    ("铁岭做杂粮挂面的小厂，小微企业，有啥政策？", "农产品加工", "小微企业"),
    ("甘井子做材料检测和中试服务的小微企业，能补多少？", "科技服务业", "小微企业"),
    ("丹东东港的，在亚马逊上卖海鲜干货，公司不大算小微，能享受啥扶持？", "跨境电商", "小微企业"),
    # A tool the business works with is not what it makes; machines it makes are 装备制造.
    ("我们是新郑用叉车搬货的物流公司，小微企业，能享受哪些政策？", "物流", "小微企业"),
    ("温县的小微企业，造轻型运动飞机，能享受哪些政策？", "装备制造", "小微企业"),
    ("温县做篮球架、乒乓球台这些体育器材的小微企业，能享受哪些政策？", "体育", "小微企业"),
    ("湘潭县的仿制药药厂，规上企业，能享受哪些政策？", "制造业", "规上企业"),
    # a title naming the broad industry beside the trade: the trade
    ("湘潭县的造船厂，规上企业，我们是国家级制造业单项冠军，能享受哪些政策？", "装备制造", "规上企业"),
])
def test_an_owner_describing_the_business_in_everyday_words_gets_its_industry_and_size(question, industry, size):
    profile, _ = profile_from_text(question)
    assert (profile.industry, profile.size) == (industry, size)


@pytest.mark.parametrize("question, size, read_by_the_rule", [
    # 工业 below 300 people is at most 小型, whatever the revenue.
    ("湘潭县做篮球架的厂，一百五十来人，去年销售一千八百万左右，能享受哪些政策？", "小微企业", True),
    ("湘潭县做软件外包的，十八个人，去年营收四百来万，能享受哪些政策？", "小微企业", True),
    # A factory is sized as 工业 whatever it makes (a 体育 service of 150 people could be 中型).
    ("湘潭县做体育器材的厂子，一百五十来人，去年销售一千八百万左右，能享受哪些政策？", "小微企业", True),
    # Above 大型's bounds on both: no 中小微企业.
    ("湘潭县的电子厂，一千八百多人，去年营收二十一个亿，能享受哪些政策？", "规上企业", True),
    # 350 people with no revenue said could be 中型 or 大型; a size said outright stands.
    ("湘潭县做液压油缸的厂，三百五十来号人，能享受哪些政策？", "", False),
    ("湘潭县做电缆的厂，一百来人，按划型算中型企业，能享受哪些政策？", "中型企业", False),
    ("湘潭县做电机的厂，三百五十来号人，去年营收一亿二，能享受哪些政策？", "中型企业", True),
    ("湘潭县做电缆的规上企业，一百来人，能享受哪些政策？", "规上企业", False),
    # Figures that settle nothing: a range, a small factory past the 规模以上 line, a sum in dollars.
    ("湘潭县做电机的厂，两三百人，能享受哪些政策？", "", False),
    ("湘潭县做电机的厂，两百人，营收一亿五千万，能享受哪些政策？", "", False),
    ("湘潭县做进出口贸易的，三十个人，销售额1000万美元，能享受哪些政策？", "", False),
])
def test_a_size_given_as_people_and_revenue_is_read_by_the_national_rule(question, size, read_by_the_rule):
    profile, assumed = profile_from_text(question)
    assert profile.size == size, (profile, assumed)
    assert ("划型" in " ".join(assumed)) == read_by_the_rule, assumed


@pytest.mark.parametrize("question, region, industry, size, titles", [
    # What the owner takes back is not held; what follows the correction is.
    ("温县做食品机械的，我们是小微企业……不对不对，去年产值过了两千万，年底已经进规上了，研发费用能多扣点不？",
     "温县", "装备制造", "规上企业", ()),
    ("沙河口开射箭馆的，我是个体户……哦不对，前年就转成有限公司了，现在是小微企业，税上能免点啥？",
     "沙河口区", "体育", "小微企业", ()),
    # Not a correction ("对不对"), and a place named in passing is not where the enterprise is.
    ("我们是小微企业对不对，在沈阳开会时听说大连有物流补贴，我们甘井子的物流公司能申请吗", "甘井子区", "物流", "小微企业", ()),
    ("我们不在大连，是沈阳做渔具出口的公司", "沈阳市", "体育", "", ("外贸企业",)),
    # Where the enterprise is, not the place whose policy it heard of.
    ("我们是港资企业，在宁波北仑做注塑模具，规上。金华那边小巨人奖一百万，大连对外资企业也有奖励，我们能申请吗？",
     "北仑区", "", "规上企业", ("外资企业",)),
    # A title applied for, or never sought, is not held.
    ("甘井子区新注册的融资租赁公司，区里的总部企业认定材料我们刚交上去，落户奖励能拿多少？",
     "甘井子区", "融资租赁", "", ("融资租赁企业",)),
    ("大连做离岸服务外包的小微企业，技术先进型服务企业已经认定了，高企也没报，能享受啥？",
     "大连市", "服务贸易", "小微企业", ("技术先进型服务企业",)),
    # Two enterprises, one asked about: the other's place and titles are not its own.
    ("我和我哥各有一家公司：我哥那家在金州，是高新技术企业，专门做仓储；我这家在甘井子区，小微企业，"
     "在亚马逊上卖渔具。这次就问我甘井子这家，有啥补贴？", "甘井子区", "跨境电商", "小微企业", ()),
    # Where it is registered outweighs where it has an office or a branch.
    ("我们是做仓储物流的，注册在金州区，平时在沙河口的写字楼办公，旅顺还有个分公司，能拿啥补贴？", "金州区", "物流", "", ()),
    # The place the owner opens with, not one whose policy he heard of, nor one nearby.
    ("湘潭县的，做冷链物流，小微企业。听说长沙对高新技术企业有奖励，我们能申请吗？", "湘潭县", "物流", "小微企业", ()),
    ("河南许昌长葛的，离郑州新郑机场也就半小时，做速冻水饺的小厂，有啥政策？", "长葛市", "食品", "小微企业", ()),
    ("我们厂就在大连北站边上，南关岭这片，做冷链仓储，能享受啥？", "大连市", "物流", "", ()),
    # A relative's enterprise, trade the owner does not do, a title he lacks or only applied for.
    ("我们在义乌做拉链，规上企业。我弟在武义开了个厂，他们是高新技术企业，跟我们是两家公司。我们能拿啥？",
     "义乌市", "", "规上企业", ()),
    ("甘井子的物流公司，进口件的报关是我们代客户办的，自己不做进出口，高企没有，区里的总部企业今年报了，名单还在公示。能拿啥？",
     "甘井子区", "物流", "", ()),
    # Another entity the owner sets aside.
    ("我们是金州做仓储物流的小微企业。旅顺还有一家我们控股的公司，是总部企业，那家这次先不问。我们能拿啥？",
     "金州区", "物流", "小微企业", ()),
])
def test_what_an_owner_corrects_denies_or_only_heard_of_stays_out_of_the_profile(question, region, industry, size, titles):
    profile, _ = profile_from_text(question)
    assert (profile.region, profile.industry, profile.size) == (region, industry, size)
    assert set(titles) <= set(profile.titles) and not {"总部企业", "高新技术企业", "个体工商户"} & set(profile.titles)
    assert "外贸企业" in titles or "外贸企业" not in profile.titles


def test_a_day_care_centre_without_beds_is_no_care_home():
    profile, _ = profile_from_text("瓦房店的小微企业，运营社区养老服务中心和村里的幸福院，没有床位，不算养老院。能享受哪些政策？")
    assert "养老机构" not in profile.titles
    assert {"社区养老服务中心", "农村社区养老服务设施"} <= set(profile.titles)


def test_a_care_home_gets_the_grants_of_how_it_is_registered():
    records = records_of("宁乡市养老服务扶持办法.txt", (
        "宁乡市加快发展养老服务业扶持办法\n宁乡市人民政府\n"
        "一、对非营利性养老机构建设免征有关行政事业性收费，对营利性养老机构建设减半征收有关行政事业性收费。\n"
        "二、融资性担保机构应优先为符合条件的营利性养老机构提供担保，担保费率不超过1%。\n"
        "三、提高城乡民办非营利性养老机构建设补贴和运营补贴标准。\n"
        "一是新增养老床位补贴。县财政给予新建每张床位补贴10000元。\n"
        "二是运营补贴。每收住1名本县户籍老年人，县财政每月补贴200元。\n"))
    bed = [r for r in records if r.item.amount_yuan == 10000]
    assert bed and bed[0].item.who == ("非营利性养老机构",), [r.item for r in records]

    def quotes(question):
        profile, assumed = profile_from_text(question)
        return {r.record.item.quote for r in match(records, profile, assumed).items}

    non_profit = quotes("我在宁乡市办了家民办非营利的养老院，能享受哪些政策？")
    company = quotes("在宁乡市开了个公司制的养老院，营利性的，能享受哪些政策？")
    assert any("新建每张床位" in q for q in non_profit) and not any("新建每张床位" in q for q in company)
    assert any("减半" in q for q in company) and not any("减半" in q for q in non_profit)
    assert any("免征" in q for q in non_profit) and not any("担保" in q for q in non_profit)


@pytest.mark.parametrize("question, region, titles", [
    # Ordinary words these rules must not take for a relative's enterprise, a set-aside one or a denial.
    ("我哥们推荐我来问，我们公司在沈阳浑南区，是高新技术企业，能享受哪些政策？", "浑南区", {"高新技术企业"}),
    ("我朋友圈看到说大连有补贴，我们在大连金州做冷链物流，能享受啥？", "金州区", set()),
    ("不问不知道，先不说别的，我们在大连甘井子做物流，有啥政策？", "甘井子区", set()),
    ("以前不是高新技术企业，今年刚评上高新技术企业，我们在金华，能享受哪些政策？", "金华市", {"高新技术企业"}),
    # Where it was registered before is not where it is; a city and its district are one place.
    ("原来注册在沈阳，去年迁到大连金州了，能享受哪些政策？", "金州区", set()),
    ("我们注册在大连甘井子区，平时在沙河口区办公，能享受哪些政策？", "甘井子区", set()),
    # Where it is outweighs a place whose policy opens the question.
    ("杭州做跨境电商的有补贴，我们在湖州做跨境电商，能享受啥？", "湖州市", set()),
    ("我在大连出差，想问一下我们郑州的公司能享受哪些政策？", "郑州市", set()),
    ("一个在诸暨做袜子，一个在义乌做饰品，诸暨那家先不问，只问义乌这家，能享受啥？", "义乌市", set()),
    # Places listed with 和 are named alike: neither compares, and one named elsewhere takes the other along.
    ("义乌做化妆刷的规上企业，金华和义乌能给哪些奖励？", "义乌市", set()),
    ("丽水缙云做带锯床的规上企业，厂子离永康、武义也就半小时车程，金华和武义那边给的奖励，我们能不能申请？", "缙云县", set()),
])
def test_profile_rules_keep_to_what_they_are_about(question, region, titles):
    profile, _ = profile_from_text(question)
    assert profile.region == region and titles <= set(profile.titles)


def test_a_title_level_is_read_across_a_de():
    profile, _ = profile_from_text("武义做保温杯的规上企业，金华市级的专精特新，能享受哪些政策？")
    assert profile.title_levels.get("专精特新") == "city"


def test_a_grant_for_a_broad_industry_reaches_the_narrower_one_and_not_the_other_way():
    text = ("湘潭县产业发展办法\n湘潭县人民政府\n"
            "一、制造业\n对制造业企业新购置生产设备的，按设备投资额的10%给予补助。\n"
            "二、集成电路\n对集成电路企业流片费用给予50%补贴。\n"
            "三、服务业\n对新落户的生产性服务业企业，一次性奖励10万元。\n")
    records = records_of("湘潭县产业发展办法.txt", text)

    def rates(industry: str) -> list:
        result = match(records, checked_profile("湘潭县", industry=industry)[0])
        return sorted(m.item.rate or m.item.amount_yuan for m in result.items + result.unsure)

    assert rates("机床") == [0.1]  # 装备制造 is manufacturing
    assert rates("芯片") == [0.1, 0.5]
    assert rates("制造业") == [0.1]  # a 集成电路 grant is not every manufacturer's
    assert rates("物流") == [100_000]  # logistics is a producer service
    assert rates("融资租赁") == [100_000]  # so is finance leasing


def test_support_promised_without_anything_to_claim_is_no_item():
    text = ("湘潭县科技创新办法\n湘潭县人民政府\n"
            "一、产学研\n对产学研结合类科技创新项目给予政策性扶持。\n"
            "二、税收\n落实税收优惠政策。落实集成电路企业增值税、企业所得税等税收优惠政策。\n"
            "三、小微\n对符合条件的小微企业，按照国家有关规定，给予相应扶持。\n")
    quotes = [m.item.quote for m in match(records_of("湘潭县科技创新办法.txt", text),
                                          checked_profile("湘潭县", industry="集成电路", size="小微企业")[0]).items]
    assert not any("产学研" in q for q in quotes)
    assert not any(q.startswith("落实税收优惠政策") for q in quotes)
    assert any("增值税" in q for q in quotes) and any("相应扶持" in q for q in quotes)


def test_a_named_tax_relief_to_carry_out_is_an_item_and_a_figure_is_the_grant_it_is_for():
    relief, = extract_benefits("落实企业研发费用加计扣除政策，鼓励支持企业持续加大研发投入。")
    assert relief.benefit == "减免" and "加计扣除" in relief.quote
    operator, = extract_benefits("采取招投标形式引进相关园区运营商。根据其经营规模，给予600万元以内的运营费补贴、5年的房屋租金减免等。")
    assert (operator.benefit, operator.amount_yuan, operator.who) == ("补贴", 6_000_000, ("园区运营商",))


def test_a_grant_given_to_a_park_or_to_public_units_is_not_an_enterprises_grant():
    text = ("湘潭县电商发展办法\n湘潭县人民政府\n"
            "一、电商园区\n入驻电商企业达到20家的，每新入驻1家电商企业，给予园区扶持资金1万元。\n"
            "二、体育\n对由财政部门拨付事业经费的单位，其自用房产免征房产税。\n"
            "三、电商企业\n对年网络零售额超过1000万元的电商企业，给予5万元奖励。\n")
    offers = offered(records_of("湘潭县电商发展办法.txt", text), "湘潭县", titles=["外贸企业"])
    assert [m.item.amount_yuan for m in offers] == [50_000]
    subsidy, = extract_benefits("对在第三方平台开设店铺的外贸企业，给予平台补贴，每店最高2万元。")
    assert subsidy.who == ("外贸企业",)  # a subsidy for a platform's fees goes to the enterprise


def test_service_bodies_are_read_by_the_names_documents_and_owners_give_them():
    text = ("湘潭县科技服务办法\n湘潭县人民政府\n"
            "一、服务机构\n对区内各类科技专业服务机构为区内企业提供技术转移服务的，同一机构每年资助最高20万元。\n"
            "二、服务平台\n对技术创新服务平台和专业技术服务平台为区内企业提供测试检测服务的，给予实际费用10%的资助。\n")
    records = records_of("湘潭县科技服务办法.txt", text)
    assert [r.item.who for r in records] == [("科技服务机构",), ("创新服务平台",)]
    profile, _ = profile_from_text("湘潭县的检测公司，运营的公共技术服务平台已经认定为创新服务平台，能享受哪些政策？")
    assert [m.item.rate for m in match(records, profile).items] == [0.1]


def test_trade_beside_another_business_keeps_that_industry_and_the_traders_grants():
    profile, _ = profile_from_text("甘井子做冷链物流的，规上，平时也自己做点海产品进出口，有啥补贴？")
    assert profile.industry == "物流" and "外贸企业" in profile.titles
    profile, _ = profile_from_text("沈阳做本地化翻译、算服务出口的小公司，有什么政策？")
    assert profile.industry == "服务贸易" and "外贸企业" not in profile.titles


def test_capital_from_abroad_said_the_everyday_way_is_a_foreign_invested_enterprise():
    profile, _ = profile_from_text("普兰店这边我们是日资的水产品加工厂，规上企业，今年打算增资，能享受哪些政策？")
    assert "外资企业" in profile.titles and profile.industry == "农产品加工"
    profile, _ = profile_from_text("辽阳灯塔的韩资减速机厂，规上企业，有补助吗？")
    assert "外资企业" in profile.titles and profile.industry == "装备制造"
    profile, _ = profile_from_text("沈阳做信息平台资源整合的小公司，有啥政策？")  # 台资 inside 平台资源
    assert "外资企业" not in profile.titles
    # foreign funds among its shareholders, registered as a domestic company; others' grants asked about
    profile, _ = profile_from_text("沈阳的锅炉厂，H股大多是外国基金买的，没登记成外商投资企业。我们这种算不算外资企业？"
                                   "大连那些外资奖励能拿吗？能享受哪些政策？")
    assert "外资企业" not in profile.titles


def test_what_an_owner_says_the_business_is_not_is_not_held():
    profile, _ = profile_from_text("大连中山区，我们做居家养老上门服务，自己没床位也不算养老院，属于小微企业，有啥政策？")
    assert profile.industry == "养老" and "养老机构" not in profile.titles
    profile, _ = profile_from_text("温县的规上厂子，还没评上专精特新，有啥奖励？")
    assert "专精特新" not in profile.titles
    profile, _ = profile_from_text("温县的马术俱乐部，三十来个员工，没评过高企，能享受哪些政策？")
    assert "高新技术企业" not in profile.titles


def test_enterprises_the_owner_counts_are_others_not_the_owner():
    profile, _ = profile_from_text("湘潭县的仓储公司，服务了200多家跨境电商企业，能享受哪些政策？")
    assert "跨境电商企业" not in profile.titles and profile.industry == "物流"
    profile, _ = profile_from_text("湘潭县的一家小创投公司，能享受哪些政策？")  # 一家: the owner's own
    assert "创业投资企业" in profile.titles
    profile, _ = profile_from_text("我们集团在湘潭县，下面有3家跨境电商公司，能享受哪些政策？")  # its own three
    assert "跨境电商企业" in profile.titles
    profile, _ = profile_from_text("湘潭县做信用评价的，去年服务的跨境电商企业六十多家，能享受哪些政策？")  # counted after
    assert "跨境电商企业" not in profile.titles


@pytest.mark.parametrize("question", [
    "湘潭县做轴承的小厂，高企正在申请还没批下来，能享受哪些政策？",
    "湘潭县做轴承的小厂，高新技术企业在申报中，能享受哪些政策？",
    "湘潭县做轴承的小厂，高新技术企业今年报上去了，还没批下来，能享受哪些政策？",
    "湘潭县做轴承的小厂，高企刚报上去，还没批。能享受哪些政策？",
])
def test_a_title_still_applied_for_is_not_held(question):
    profile, _ = profile_from_text(question)
    assert profile.region == "湘潭县" and "高新技术企业" not in profile.titles


def test_a_title_the_owner_counts_himself_among_is_held_and_others_grants_are_not():
    profile, _ = profile_from_text("湘潭县做轴承的，我们这些高新技术企业能享受哪些政策？")
    assert profile.titles == ("高新技术企业",)
    profile, _ = profile_from_text("湘潭县做轴承的小厂，大连那些外资奖励我们能拿吗？能享受哪些政策？")
    assert "外资企业" not in profile.titles


def test_a_title_held_while_applying_for_another_or_for_a_grant_stays_held():
    profile, _ = profile_from_text("我们是湘潭县的省级专精特新企业，正在申报国家级小巨人，能享受哪些政策？")
    assert profile.titles == ("专精特新",)
    profile, _ = profile_from_text("湘潭县的高新技术企业，正在申请研发费用补助，能享受哪些政策？")
    assert profile.titles == ("高新技术企业",)


@pytest.mark.parametrize("question", [
    "湘潭县做轴承的厂，高企证书是2019年拿的，去年到期重新认定没通过，现在没有了。能享受哪些政策？",
    "湘潭县做轴承的厂，前年评上过省级专精特新，今年复核没通过，被取消了。能享受哪些政策？",
    "湘潭县做轴承的厂，省级专精特新今年复核没通过，给撤了。专精特新那块还能奖吗？能享受哪些政策？",
    "湘潭县做轴承的厂，省专精特新是2019年评的，有效期到了以后没再去复核，现在不在名单里了。能享受哪些政策？",
])
def test_a_title_the_owner_had_and_lost_is_not_held(question):
    profile, _ = profile_from_text(question)
    assert profile.region == "湘潭县" and not {"高新技术企业", "专精特新"} & set(profile.titles), profile


def test_a_title_whose_pool_the_owner_entered_is_held_as_a_candidate():
    profile, _ = profile_from_text("湘潭县做火腿的小厂，专精特新也进了市里的培育库，能享受哪些政策？")
    assert profile.titles == ("专精特新培育企业",), profile
    # A holder joining another pool is still a holder, in an owner's words and in a clause.
    profile, _ = profile_from_text("湘潭县的高企，也入选了省里的上市后备企业名单，能享受哪些政策？")
    assert profile.titles == ("高新技术企业",), profile
    assert [who for who, _, _ in terms().kinds_at("对高新技术企业进入上市后备资源库的，一次性奖励20万元")] == ["高新技术企业"]


def test_a_title_lost_at_one_level_and_won_at_another_is_held_at_the_new_one():
    profile, _ = profile_from_text("湘潭县做轴承的厂，市级专精特新到期没复审，去年评上了省级专精特新，能享受哪些政策？")
    assert profile.titles == ("专精特新",) and profile.title_levels["专精特新"] == "provincial", profile


def test_a_title_still_valid_or_a_grant_refused_keeps_the_title():
    profile, _ = profile_from_text("湘潭县做轴承的厂，省级专精特新是前年评上的，还在有效期里。高企去年申请研发补助没通过，能享受哪些政策？")
    assert {"专精特新", "高新技术企业"} <= set(profile.titles), profile
    profile, _ = profile_from_text("湘潭县的高新技术企业，去年环评没通过，银行授信被取消了，证书还没过期，能享受哪些政策？")
    assert profile.titles == ("高新技术企业",), profile


@pytest.mark.parametrize(("question", "region"), [
    ("大连金州区的小跨境电商公司，想从深圳引进两个运营人才，能享受哪些政策？", "金州区"),
    ("湘潭县的芯片设计公司，想从上海、深圳挖几个工程师过来，能享受哪些政策？", "湘潭县"),
    ("诸暨做袜子的规上企业，离义乌也就几十公里，金华那边的奖励我们能拿吗？", "诸暨市"),
    ("原来在沈阳，现在搬到大连了，能享受哪些政策？", "大连市"),
    # opened with a street near it; a machine named after a county (龙门五轴) is no place
    ("甘井子区华北路那边，我们厂做机床，新研制的龙门五轴刚卖出第一台，能享受哪些政策？", "甘井子区"),
    ("深圳那边，补贴比东莞高，我们做电机的，能享受哪些政策？", "东莞市"),  # 那边: over there
    # another place's policy (长沙对…), a friend's factory there
    ("湘潭县的芯片设计公司，听说长沙对集成电路企业有补助，我们想在长沙设个分公司，能享受哪些政策？", "湘潭县"),
    ("湘潭县开饭店的，我有个朋友在长沙开厂，说那边政策挺多，我们能享受哪些政策？", "湘潭县"),
    ("湘潭九华的芯片设计公司，听说长沙对集成电路企业有补助、株洲对研发也补三成，我们想在株洲设个分公司，能享受哪些政策？",
     "湘潭九华示范区"),
    ("湘潭县对我们做电机的小厂有补贴吗？湘潭市的呢？能享受哪些政策？", "湘潭县"),  # 对我们: the owner's place
])
def test_the_enterprise_is_where_the_owner_says_it_is_not_where_hires_come_from(question, region):
    profile, _ = profile_from_text(question)
    assert profile.region == region


def test_a_duty_of_a_government_is_for_no_one_named_before_but_its_grant_is():
    matching = extract_benefits("对新认定的高新技术企业，给予一次性奖励20万元；市财政另给予10万元配套奖励。")
    assert [i.who for i in matching] == [("高新技术企业",), ("高新技术企业",)]
    duty = extract_benefits("支持与农业产业化龙头企业相联结的基地建设，予以倾斜。各县（市、区）每年要安排一定数量的用地指标。")
    assert duty[-1].who == () and "用地指标" in duty[-1].quote


def test_a_sole_trader_gets_grants_for_every_business_not_those_for_enterprises():
    text = ("湘潭县市场主体扶持办法\n湘潭县人民政府\n"
            "一、创新\n对企业购置研发设备的，按购置额的10%给予补助。\n"
            "二、登记\n对新登记的市场主体，免收登记类行政事业性收费。\n")
    records = records_of("湘潭县市场主体扶持办法.txt", text)
    assert benefits_for(records, "我在湘潭县开了个小饭馆，办的个体工商户，能享受哪些政策？") == ["减免"]
    assert "补贴" in benefits_for(records, "我们是湘潭县做电机的小微企业，能享受哪些政策？")


def test_a_grant_for_one_size_waits_for_the_owner_to_say_the_size():
    text = ("湘潭县市场主体扶持办法\n湘潭县人民政府\n"
            "一、个体经营\n对个体工商户免收登记类行政事业性收费。\n"
            "二、创新\n对企业新建研发中心的，一次性奖励20万元。\n")
    records = records_of("湘潭县市场主体扶持办法.txt", text)

    def listed(profile) -> tuple[list, list, tuple]:
        result = match(records, profile)
        return [m.item.benefit for m in result.items], [m.item.benefit for m in result.unsure], result.assumed

    # A factory that said nothing of its size is not promised a 个体工商户's relief…
    sure, unsure, notes = listed(profile_from_text("我们是湘潭县做电机的工厂，能享受哪些政策？")[0])
    assert "减免" not in sure + unsure
    assert any("另有 1 项只面向某一规模" in note for note in notes)
    # …one that says it is one gets it, and "小公司" is how owners say 小微.
    assert "减免" in listed(checked_profile("湘潭县", size="个体工商户")[0])[0]
    small, notes = profile_from_text("我们是湘潭县的小外贸公司，有什么补贴？")
    assert small.size == "小微企业" and any("小外贸公司" in note for note in notes)  # said, not silently assumed
    for named_with_small in ("小额贷款公司", "小家电厂", "小龙虾养殖企业"):
        assert profile_from_text(f"我们是湘潭县的{named_with_small}，有什么补贴？")[0].size == ""
    assert profile_from_text("我们不是小公司，湘潭县的，有什么补贴？")[0].size == ""
    # Sizes that contradict each other list each size's grants to confirm.
    sure, unsure, _ = listed(checked_profile("湘潭县", extra_sizes=("小微企业", "规上企业"))[0])
    assert "减免" in unsure and "减免" not in sure


def test_grants_for_people_are_not_promised_to_the_enterprise_but_those_for_its_staff_are():
    text = ("株洲市人才与企业发展若干措施\n株洲市人民政府\n"
            "一、人才激励\n对认定后的优秀青年人才给予5万元奖励。人才到岗后直接兑现安家补贴，最高20万元。\n"
            "二、民生保障\n对城市60周岁以上低保家庭中的老年人的居家养老服务补贴，提高到每人每月300元。\n"
            "三、企业激励\n对年营业收入首次突破1亿元的企业，给予企业高级管理人员共计30万元奖励。\n"
            "四、境外投资\n对境外投资者以分配利润直接投资的，给予10万元奖励。\n")
    records = records_of("株洲市人才与企业发展若干措施.txt", text)
    people = [r.item for r in records if r.item.who and r.item.who[0] in ("人才", "个人")]
    assert [i.amount_yuan for i in people] == [50_000, 200_000, 300]
    # An owner gets the enterprise's own grant, also when its staff are paid; not the
    # talents' or the residents' own, and not the investor's abroad.
    assert [m.item.amount_yuan for m in offered(records, "株洲市", size="规上企业", titles=["外资企业"])] == [300_000]


def test_a_document_for_a_trade_grants_its_platforms_and_schools_nothing_an_enterprise_claims():
    text = ("衡阳市跨境电子商务扶持资金管理办法\n衡阳市人民政府\n"
            "第一条 鼓励跨境电子商务平台建设。\n（一）第三方交易支付平台。对上一年度线上交易额突破2亿美元的，给予100万元扶持资金。\n"
            "（二）公共检测服务平台。服务良好的跨境电子商务公共检测服务平台，被认定为国家级重点实验室的，一次性给予200万元扶持资金。\n"
            "（三）鼓励平台开设子网站。对年成交额超过1亿美元的跨境电子商务平台，针对英语国家开设子网站的，一次性给予10万元扶持资金；"
            "针对非英语国家开设子网站的，一次性给予15万元扶持资金。\n"
            "第二条 鼓励人才培养。对开设跨境电子商务本科专业的学校，一次性给予50万元扶持资金。\n"
            "第三条 培育经营主体。对年跨境电商出口额超过500万美元的企业，给予10万元奖励。\n")
    records = records_of("衡阳市跨境电子商务扶持资金管理办法.txt", text)
    assert [m.item.amount_yuan for m in offered(records, "衡阳市", industry="跨境电商", size="小微企业")] == [100_000]


@pytest.mark.parametrize("question, offered_amounts", [
    ("衡阳市做跨境电商的公司，小微企业，在亚马逊上卖家居用品，能享受哪些政策？", [100_000]),
    ("衡阳市做跨境电商的小微企业，我们只做平台店铺运营，自己不做进出口报关，找货代办，能享受哪些政策？", [100_000]),
    # Serving the trade is not being in it: a park operator, a platform selling nothing itself,
    # and a 个体工商户 (not an enterprise) get none of the trade's enterprises' grants.
    ("衡阳市的跨境电商产业园运营商，小微企业，我们只管招商和物业，自己不卖货，能享受哪些政策？", []),
    ("衡阳市做跨境电商B2B撮合平台的，小微企业，我们自己不做进出口，只收服务费，能享受哪些政策？", []),
    ("我在衡阳市开网店卖鱼钩，在速卖通上卖到国外，办的是个体工商户，能享受哪些政策？", []),
])
def test_a_trades_grants_go_to_those_who_trade(question, offered_amounts):
    records = records_of("衡阳市跨境电子商务扶持资金管理办法.txt", (
        "衡阳市跨境电子商务扶持资金管理办法\n衡阳市人民政府\n"
        "第一条 培育经营主体。对年跨境电商出口额超过500万美元的跨境电子商务企业，给予10万元奖励。\n"))
    profile, assumed = profile_from_text(question)
    assert [m.record.item.amount_yuan for m in match(records, profile, assumed).items] == offered_amounts, profile


def test_an_enterprise_the_owner_brought_in_or_a_title_planned_is_not_held():
    profile, _ = profile_from_text("湘潭县的园区运营商，前年把一家做汽配的总部企业引到了湘潭县，引荐总部的奖励我们能拿吗？")
    assert "总部企业" not in profile.titles, profile
    profile, _ = profile_from_text("湘潭县的融资租赁公司，规上，区里的总部企业打算明年再报，能享受哪些政策？")
    assert profile.titles == ("融资租赁企业",), profile


def test_candidates_for_a_title_and_non_profits_get_their_own_grants_only():
    text = ("常德市企业梯度培育办法\n常德市人民政府\n"
            "一、梯度培育\n对评为省“隐形冠军”及培育企业分别给予80万元和10万元奖励。\n"
            "二、体育产业\n经认定为享受免税资格的非营利体育服务企业，取得的符合条件的收入，免征企业所得税；"
            "体育企业发生的符合条件的广告费支出按规定在税前扣除。\n")
    records = records_of("常德市企业梯度培育办法.txt", text)
    assert [m.item.amount_yuan for m in offered(records, "常德市", titles=["隐形冠军"])] == [800_000]
    assert [m.item.quote[:6] for m in offered(records, "常德市", industry="体育")] == ["体育企业发生"]


def test_an_exporter_of_any_trade_gets_the_export_reward_its_heading_names():
    text = ("岳麓区鼓励外贸及跨境电子商务发展办法\n岳麓区人民政府\n"
            "第一条 大力培育跨境电子商务经营主体\n"
            "（一）推动外贸企业运用跨境电商转型发展，鼓励企业扩大出口。企业每增加出口1美元，即给予0.02元人民币的奖励，"
            "每家企业每年最高奖励不超过10万元。\n")
    records = records_of("岳麓区鼓励外贸及跨境电子商务发展办法.txt", text)
    # A logistics firm that exports is a 外贸企业: the reward is per dollar, capped.
    result = match(records, checked_profile("岳麓区", industry="物流", titles=["外贸企业"])[0])
    assert [amount_text(m.item) for m in result.items] == ["每增加出口1美元0.02元人民币，最高10万元"]


def test_things_an_enterprise_has_done_listed_as_alternatives_are_conditions_not_kinds():
    text = ("吉林省农产品加工业发展意见\n吉林省人民政府\n"
            "一、品牌建设\n对新认定的省级企业技术研发中心、在新三板实现挂牌上市、获得省长质量奖或吉林名牌的"
            "农产品加工企业，给予一次性奖励20万元。\n")
    records = records_of("吉林省农产品加工业发展意见.txt", text)
    assert [m.item.amount_yuan for m in offered(records, "吉林省", industry="农产品加工", size="规上企业")] == [200_000]


def test_who_stays_the_enterprise_where_levels_verbs_tenants_and_exceptions_say_so():
    text = ("湘乡市产业发展若干措施\n湘乡市人民政府\n"
            "一、梯度培育\n对获得国家级、省级、市级专精特新称号的企业，给予10万元奖励。\n"
            "二、物流平台\n对物流企业建设公共信息平台的，给予50万元补助。\n"
            "三、产业园区\n对新建的产业园区，给予50万元奖励；入驻园区的企业，按房租的50%给予补贴。\n"
            "四、体育产业\n对体育企业给予5万元奖励，非营利性体育企业除外。对非营利性体育企业免征房产税。\n")
    records = records_of("湘乡市产业发展若干措施.txt", text)
    plain = offered(records, "湘乡市", industry="物流", size="规上企业")
    # No title: not the 专精特新 award; the logistics platform grant is the logistics firm's own;
    # the park's grant is the park's, the rent subsidy the tenants'.
    assert sorted(m.item.amount_yuan or m.item.rate for m in plain) == [0.5, 500_000]
    sports = offered(records, "湘乡市", industry="体育", titles=["专精特新"])
    assert sorted(m.item.amount_yuan or m.item.rate for m in sports) == [0.5, 50_000, 100_000]


def test_a_medium_enterprise_gets_grants_for_smes_and_confirms_those_above_the_statistics_line():
    text = ("湘潭县中小企业扶持办法\n湘潭县人民政府\n"
            "一、小微\n对小微企业免收登记类行政事业性收费。\n"
            "二、中小微\n对中小微企业贷款给予贴息。\n"
            "三、规上\n对规上企业购置设备的，一次性奖励20万元。\n")
    records = records_of("湘潭县中小企业扶持办法.txt", text)

    def listed(question: str) -> tuple[str, list[tuple[str, str]]]:
        profile, _ = profile_from_text(question)
        result = match(records, profile)
        return profile.size, sorted((m.item.benefit, m.status) for m in result.items + result.unsure)

    medium = [("奖励", "check"), ("贴息", "match")]
    # 工业 350人 / 1.2亿: 中型 by the 划型 rule, as the owner's own word says too
    assert listed("湘潭县做电机的厂，三百五十来号人，去年营收一亿二，能享受哪些政策？") == ("中型企业", medium)
    assert listed("湘潭县做电机的，按划型算中型企业，小微企业那些扶持我们能沾上不？能享受哪些政策？") == ("中型企业", medium)
    # others' size asked about is not the owner's
    assert listed("湘潭县做电机的小微企业，听说中型企业补得多，能享受哪些政策？") == (
        "小微企业", [("减免", "match"), ("贴息", "match")])


def test_a_cooperative_gets_grants_for_every_business_not_those_for_enterprises():
    text = ("湘潭县市场主体扶持办法\n湘潭县人民政府\n"
            "一、设备\n对企业购置生产设备的，按购置额的10%给予补助。\n"
            "二、登记\n对新登记的市场主体，免收登记类行政事业性收费。\n")
    records = records_of("湘潭县市场主体扶持办法.txt", text)
    assert benefits_for(records, "湘潭县的，我们村办了个农民专业合作社，自己做果酱加工，没单独注册公司，能享受哪些政策？") == ["减免"]
    # one who also runs a registered company is asked about as the company
    assert "补贴" in benefits_for(records, "湘潭县的，我是合作社理事长，另有一家在县城注册的果酱加工公司，只问这家公司，能享受哪些政策？")
    assert benefits_for(records, "湘潭县的，我们注册的是合作社不是公司，做果酱加工，能享受哪些政策？") == ["减免"]


def test_a_grant_for_makers_using_local_chips_goes_to_whole_machine_makers_not_chip_makers():
    text = ("湘潭县促进集成电路产业发展的意见\n湘潭县人民政府\n"
            "一、促进集成电路产品本地化应用\n本地整机、装备企业首次使用本地集成电路企业设备或关键零部件产品，"
            "可给予不超过产品订货合同金额20%的补贴。\n")
    records = records_of("湘潭县促进集成电路产业发展的意见.txt", text)
    assert benefits_for(records, "湘潭县做矿山机械整机的小微企业，头一回用了本地芯片，能享受哪些政策？") == ["补贴"]
    assert benefits_for(records, "湘潭县的造船厂，整船自己造，规上企业，能享受哪些政策？") == ["补贴"]
    assert benefits_for(records, "湘潭县的芯片设计公司，小微企业，能享受哪些政策？") == []
    assert benefits_for(records, "湘潭县做齿轮的小厂，不做整机，只做零部件，能享受哪些政策？") == []
    for supplier in ("不生产整机，只做零部件", "给整机厂做配套", "为整机企业配套", "是几家整机厂的二级供应商", "主要做整机配件"):
        assert benefits_for(records, f"湘潭县做齿轮的小厂，{supplier}，能享受哪些政策？") == [], supplier


def benefits_for(records, question: str) -> list[str]:
    """The kinds of benefit listed for the enterprise `question` describes, to confirm or not."""
    profile, _ = profile_from_text(question)
    result = match(records, profile)
    return [m.item.benefit for m in result.items + result.unsure]
