"""The Answerer protocol: every answerer — extractive, LLM with a verified answer, LLM
falling back — streams text and returns a Draft whose every [n] names a citation whose
quote is a verbatim piece of its clause, and states the fact asked for."""

from __future__ import annotations

import re

import pytest

from assistant.answer.base import Draft, final_draft
from assistant.answer.extractive import ExtractiveAnswerer
from assistant.answer.llm import FALLBACK_MODE, LLMAnswerer
from assistant.questions import frame
from knowledge.models import Clause, ClauseHit, StoredDocument
from tests.fakes import FakeChatModel

QUESTION = "温县2023年政府采购工程项目预留比例是多少？"
FACT = "40%"


@pytest.fixture
def hits(bundled_kb):
    found = bundled_kb.dense_search(QUESTION, 5)
    assert any(FACT in hit.clause.text for hit in found)
    return found


@pytest.fixture
def extractive(bundled_kb):
    return ExtractiveAnswerer(bundled_kb.tokenizer.tokenize, bundled_kb.term_weights)


def run(answerer, hits) -> tuple[list[str], Draft]:
    stream = answerer.stream(frame(QUESTION), hits)
    chunks = []
    while True:
        try:
            chunks.append(next(stream))
        except StopIteration as done:
            return chunks, done.value


class AnswererContract:
    """Shared checks; subclasses provide the `answerer` fixture."""

    def test_streams_text_and_returns_a_draft(self, answerer, hits):
        chunks, draft = run(answerer, hits)
        assert chunks and all(isinstance(chunk, str) for chunk in chunks)
        assert isinstance(draft, Draft) and draft.text.strip()

    def test_states_the_fact_asked_for(self, answerer, hits):
        assert FACT in final_draft(answerer.stream(frame(QUESTION), hits)).text

    def test_every_mark_names_a_citation_quoting_its_clause(self, answerer, hits):
        draft = final_draft(answerer.stream(frame(QUESTION), hits))
        numbers = {c.n for c in draft.citations}
        assert numbers and {int(n) for n in re.findall(r"\[(\d+)\]", draft.text)} <= numbers
        for citation in draft.citations:
            assert citation.quote and citation.quote in citation.text

    def test_no_clauses_is_an_error_not_an_answer(self, answerer):
        with pytest.raises(ValueError, match="hits"):
            final_draft(answerer.stream(frame(QUESTION), []))


class TestExtractive(AnswererContract):
    @pytest.fixture
    def answerer(self, extractive):
        return extractive

    def test_streamed_lines_are_the_answer(self, extractive, hits):
        chunks, draft = run(extractive, hits)
        assert "".join(chunks) == draft.text and len(chunks) > 1


class TestLLMVerified(AnswererContract):
    @pytest.fixture
    def answerer(self, extractive, hits):
        n = next(i for i, hit in enumerate(hits, 1) if FACT in hit.clause.text)
        replies = [f"温县政府采购工程项目预留比例提高至{FACT}以上[{n}]。"] * 4
        return LLMAnswerer(FakeChatModel(replies=replies), contact="12345", fallback=extractive)

    def test_the_verified_answer_is_what_was_streamed(self, answerer, hits):
        chunks, draft = run(answerer, hits)
        assert draft.mode == "llm" and "".join(chunks).strip() == draft.text


class TestLLMFallingBack(AnswererContract):
    @pytest.fixture
    def answerer(self, extractive):
        return LLMAnswerer(FakeChatModel(replies=[ConnectionError("down")] * 4), contact="12345", fallback=extractive)

    def test_the_fallback_is_marked_with_its_reason(self, answerer, hits):
        draft = final_draft(answerer.stream(frame(QUESTION), hits))
        assert draft.mode == FALLBACK_MODE and "暂不可用" in draft.notice


def test_an_llm_answerer_without_a_fallback_says_so(hits):
    answerer = LLMAnswerer(FakeChatModel(replies=["x[1]"]), contact="12345")
    with pytest.raises(ValueError, match="fallback"):
        final_draft(answerer.stream(frame(QUESTION), hits))


def lead_quote(answerer, question: str, *hits: ClauseHit) -> str:
    """The quote the answer to `question` leads with."""
    return final_draft(answerer.stream(frame(question), list(hits))).citations[0].quote


def _hit(text: str, path: str = "二、支持措施 > （二）总部企业奖励") -> ClauseHit:
    document = StoredDocument("demo", "示例市总部经济扶持办法", "", "示例市人民政府", "2024-01-01", "", "市", "", 1, "0" * 16)
    clause = Clause("demo:2.2", "demo", path, text, 0, len(text), 0)
    return ClauseHit(clause, document, 1.0, {"relevance": 0.9})


def test_a_tier_is_quoted_with_its_sibling_tiers(extractive):
    text = (
        "对年度经济贡献首次达到200万元的总部企业，按其贡献的10%给予奖励；"
        "达到500万元的，按15%给予奖励；达到1000万元以上的，按20%给予奖励。"
        "奖励资金分三年拨付。"
    )
    draft = final_draft(extractive.stream(frame("贡献500万的总部企业奖励比例是多少？"), [_hit(text)]))
    quote = draft.citations[0].quote
    assert all(tier in quote for tier in ("10%", "15%", "20%")) and "分三年" not in quote


def test_a_second_quote_is_shown_only_when_it_adds_a_figure(extractive):
    same = _hit("对首次认定的国家级专精特新“小巨人”企业，给予一次性奖励50万元。")
    repeat = ClauseHit(
        Clause("demo:3.1", "demo", "三、附则", "国家级专精特新“小巨人”企业可获一次性奖励50万元。", 0, 24, 1),
        same.document, 0.9, {"relevance": 0.85},
    )
    draft = final_draft(extractive.stream(frame("国家级小巨人奖励多少钱？"), [same, repeat]))
    assert len(draft.citations) == 1 and "另见" not in draft.text


def test_a_heading_is_never_the_answer_and_the_figure_comes_with_the_benefit(extractive):
    heading = _hit(
        "（三）鼓励建立体验店。对建立并经营线下体验店，面积在300平方米以上的，区政府一次性补贴30万元。",
        path="二、支持措施 > （三）鼓励建立体验店",
    )
    quote = lead_quote(extractive, "开体验店能补多少？", heading)
    assert "30万元" in quote and not quote.startswith("（三）")
    named_first = _hit(
        "对先期入驻的高端科技服务机构，按照实际投资择优给予一定额度的资金补贴。"
        "实际资金到位额超过2000万元的，按照总投资额6%的比例给予补贴，最高不超过300万元。",
        path="第八条对先期入驻的高端科技服务机构…",
    )
    quote = lead_quote(extractive, "高端科技服务机构先期入驻，投资2500万能补多少？", named_first)
    assert "6%" in quote and "300万元" in quote


def test_tiers_after_a_lead_in_are_quoted_whole(extractive):
    text = (
        "总部企业财政贡献扶持的标准为：年度贡献在100万元至300万元的，扶持12%。"
        "年度贡献在300万元至500万元的，扶持20%。年度贡献在500万元以上的，扶持25%。扶持期限为三年。"
    )
    quote = lead_quote(extractive, "总部企业财政贡献扶持标准是多少比例？", _hit(text))
    assert quote.startswith("总部企业财政贡献扶持的标准为")
    assert all(tier in quote for tier in ("12%", "20%", "25%"))


def test_the_sentence_with_the_figure_counted_in_the_measure_asked_answers(extractive):
    text = (
        "扎实推进小微企业上规模。按年度预期目标的1.5倍建立培育库，实施分类帮扶。"
        "力争全年新增规模以上工业企业30家。"
    )
    quote = lead_quote(extractive, "培育库按年度目标的几倍建？", _hit(text))
    assert "1.5倍" in quote and "30家" not in quote
    overview = _hit(
        "示例市出台惠企十条。该意见聚焦融资、用工、用地等6大方面，提出10条具体举措。",
        path="示例市出台惠企十条",
    )
    assert "6大方面" in lead_quote(extractive, "惠企十条聚焦几大方面？", overview)


def test_of_several_counts_the_one_next_to_the_words_asked_about_answers(extractive):
    text = (
        "示例市遴选了30家企业列入上市后备“白名单”企业库，为每家企业配备一名服务专员。"
        "截至目前，全市已有过会企业4家，在审企业2家，在辅导企业15家。"
    )
    quote = lead_quote(extractive, "白名单企业里已经过会的有几家？", _hit(text))
    assert "过会企业4家" in quote and "30家" not in quote


def test_a_sentence_negating_the_words_asked_about_does_not_answer(extractive):
    text = (
        "企业境内非首发上市，迁入本市的，一次性给予200万元补贴。"
        "拟在境内首发上市的企业，按完成辅导、正式申报两个环节分别给予50万元和80万元补贴。"
    )
    quote = lead_quote(extractive, "我们准备境内首发上市，补贴多少？", _hit(text))
    assert "80万元" in quote and "非首发" not in quote
    graded = _hit("评价结果分为优秀、合格、不合格。被评为基本合格的工程实验室，给予通报。评为不合格的工程实验室，予以撤销。")
    quote = lead_quote(extractive, "工程实验室评价要是不合格会怎么样？", graded)
    assert "撤销" in quote and "通报" not in quote


def test_asked_whether_something_is_supported_the_measure_is_quoted_to_its_end(extractive):
    text = (
        "14.鼓励以第三方物流为代表的专业化系统化组织模式发展。运用互联网技术，创新服务模式。"
        "提高第三方物流企业为制造业提供一体化、综合性物流管理服务的能力。"
    )
    quote = lead_quote(extractive, "咱是干第三方物流的，市里鼓励我们往啥方向做服务？", _hit(text))
    assert quote.startswith("14.鼓励以第三方物流") and "一体化、综合性物流管理服务" in quote
    # It stops where another measure starts.
    items = _hit("1.支持跨境电商企业建设海外仓。鼓励企业租用公共海外仓。2.支持外贸综合服务企业发展。"
                 "\n责任单位：市商务局")
    quote = lead_quote(extractive, "我们想建个海外仓，市里支持不？", items)
    assert "租用公共海外仓" in quote and "外贸综合服务" not in quote and "责任单位" not in quote
    # Asked how much, the sentence with the figure answers alone.
    grant = _hit("对新评为国家3A级物流企业的，给予10万元奖励。奖励资金由市财政统筹安排，按年度拨付。")
    assert "年度拨付" not in lead_quote(extractive, "评上3A能奖多少钱？", grant)


def test_asked_which_things_a_clause_lists_every_one_is_shown(extractive):
    text = (
        "（六）加快集成电路关键装备和材料研发制造。支持半导体晶圆切割设备自主创新；"
        "鼓励装备制造业企业进入半导体设备领域；有选择地引进国内外半导体设备厂商来连发展；"
        "加快新一代超纯半导体特种气体开发；支持光刻胶、引线框架、封装树脂等关键材料的开发和生产。"
    )
    draft = final_draft(extractive.stream(frame("市里重点支持开发生产哪些关键材料？"), [_hit(text)]))
    assert all(item in draft.text for item in ("晶圆切割", "设备领域", "设备厂商", "特种气体", "光刻胶、引线框架"))


def test_a_circumstance_the_owner_tells_is_not_what_is_asked(extractive):
    text = (
        "因地质地形等原因无法修建防空地下室的，经人防主管部门批准后，减半收取防空地下室易地建设费。"
        "对养老机构的用水、用电、用气，按照居民缴费标准执行，免收相应的配套费。"
    )
    quote = lead_quote(extractive, "我们盖养老院，地质条件不行修不了防空地下室，那个易地建设费能少交点不？", _hit(text))
    assert quote.startswith("因地质地形等原因无法修建防空地下室的") and "减半收取防空地下室易地建设费" in quote
    yearly = _hit("对民办非营利性养老机构、居家养老服务组织，在扣除有关费用后，如当年有收支结余、经审计符合规定的，"
                  "可以从结余中提取不超过以举办人累积出资额为基数的同期银行一年期贷款基准利率2倍利息额的额度用于奖励举办人。"
                  "投入满5年后，出资人产（股）权份额可以转让、继承、赠与。")
    asked = "我们几个股东出钱办的民办非营利养老院，以后出资份额能转让或者留给孩子继承不？得满几年"
    assert "满5年" in lead_quote(extractive, asked, yearly)  # 一年期 names a loan, not how long


def test_a_grant_stated_as_a_rate_answers_how_much(extractive):
    text = (
        "对新建的芯片制造项目，按其固定资产投资额的10%给予投资补助。"
        "对于引进的知名设计企业，给予不超过实际投资总额8%的补助，补助金额不超过2000万元。"
    )
    quote = lead_quote(extractive, "新建芯片制造项目投资补助怎么给？", _hit(text))
    assert "10%" in quote and "设计企业" not in quote


def test_how_many_years_is_answered_by_a_duration_in_chinese_numerals(extractive):
    stay = _hit(
        "第十一条 享受本办法扶持的企业，自享受年度起，应在本区持续经营六年以上。",
        path="第十一条享受本办法扶持的企业，自享受年度起，应在本区持续经营六年以上",
    )
    other = ClauseHit(
        Clause("demo:5", "demo", "第五条", "第五条 对融资租赁企业按贷款利息的20%给予补贴，补贴期限3年。", 0, 30, 2),
        stay.document, 0.9, {"relevance": 0.8},
    )
    draft = final_draft(extractive.stream(frame("拿了扶持，得在区里经营多少年？"), [stay, other]))
    assert "六年以上" in draft.citations[0].quote


def test_the_rule_for_the_askers_own_figure_answers(extractive):
    text = (
        "养老机构中设立的医疗机构纳入远程医疗管理平台。"
        "300张床位以下的养老机构应设置医务室，300张床位（含）以上的养老机构应设置综合门诊部。"
    )
    quote = lead_quote(extractive, "我们开了个350张床的养老院，得配啥医疗机构？", _hit(text))
    assert "综合门诊部" in quote and "远程医疗" not in quote


def test_the_place_asked_about_is_quoted_before_the_wider_one(extractive):
    district = StoredDocument("d", "示例区答复", "", "惠济区人民政府", "2024-01-01", "惠济区", "区", "", 1, "0" * 16)
    city = StoredDocument("c", "示例市答复", "", "郑州市人民政府", "2024-01-01", "郑州市", "市", "", 1, "1" * 16)
    own = ClauseHit(Clause("d:1", "d", "一", "目前我区共有省级“专精特新”中小企业4家。", 0, 20, 0), district, 1.0, {"relevance": 0.8})
    wider = ClauseHit(Clause("c:1", "c", "一", "截至目前，我市已累计培育省级专精特新企业920家。", 0, 24, 0), city, 1.0, {"relevance": 0.3})
    draft = final_draft(extractive.stream(frame("惠济区现在有几家省级专精特新企业？"), [wider, own]))
    assert "4家" in draft.citations[0].quote


def test_whom_to_go_to_is_answered_with_the_body_that_takes_it(extractive):
    text = (
        "第十四条 项目建设单位应根据批复实施工程实验室建设项目。"
        "项目完成后，应及时编制竣工验收报告，向市发展改革委提出验收申请。"
    )
    quote = lead_quote(extractive, "工程实验室建完了找谁验收？", _hit(text))
    assert "向市发展改革委提出验收申请" in quote


def test_a_duty_line_answers_only_whom(extractive):
    text = (
        "（十五）促进房地产市场健康发展。督促银行金融机构落实好首套房贷款的首付款比例和贷款利率政策。\n"
        "责任单位：市国土房屋局、财政局、公积金管理中心"
    )
    quote = lead_quote(extractive, "公积金管理中心贷款最高能贷多少？", _hit(text))
    assert not quote.startswith("责任单位")


@pytest.mark.parametrize("cap", ["单一企业最高补贴300万元。", "补助金额最高不超过300万元。", "扶持期限为三年。"])
def test_the_cap_or_term_said_after_a_grant_is_quoted_with_it(extractive, cap):
    text = f"对为本市企业提供融资总额达到3000万元及以上的融资租赁企业，给予融资总额1%的补贴。{cap}其他事项另行规定。"
    quote = lead_quote(extractive, "我们租赁公司给企业融资了5000万，能拿多少补贴？", _hit(text))
    assert "1%" in quote and cap in quote, quote


def test_a_list_item_of_a_document_replaced_a_moment_ago_is_quoted_without_its_opening():
    """A re-index swaps the document between search and answer: the item is still quoted."""
    from knowledge.errors import DocumentNotFound

    def replaced(doc_id: str) -> list[Clause]:
        raise DocumentNotFound(doc_id)

    document = StoredDocument("d", "惠济区总部企业认定办法", "", "", "2024-01-01", "惠济区", "区县", "", 3, "0" * 16)
    item = Clause("d:2.2", "d", "第二条属于下列情形之一的企业，不予认定 > （二）发生重大税收违法行为的", "（二）发生重大税收违法行为的。", 0, 15, 2)
    answerer = ExtractiveAnswerer(lambda text: list(text), lambda tokens: [1.0] * len(tokens), clauses_of=replaced)
    draft = answerer.answer(frame("发生重大税收违法行为还能认定吗？"), [ClauseHit(item, document, 0.9, {"relevance": 0.9})])
    assert "（二）发生重大税收违法行为的。[1]" in draft.text and len(draft.citations) == 1


def test_how_old_is_answered_by_the_age_the_clause_states(extractive):
    text = ("对高龄老年人中的低保对象，市财政资助标准分别提高到每人每月200元、400元。"
            "高龄生活补贴范围逐步扩大至80周岁以上老人。")
    quote = lead_quote(extractive, "高龄生活补贴多大岁数的能领？", _hit(text, path="（四）完善资金支持政策"))
    assert "80周岁以上" in quote and "200元" not in quote


def test_whether_there_is_a_thing_is_answered_by_the_clause_that_gives_it(extractive):
    promote = _hit("帮助支持引进的项目做大做强，引导入驻企业主动成为招商引资的宣传员、推销员和联络员。",
                   path="三、工作措施 > （四）强化以商引商")
    reward = ClauseHit(
        Clause("demo:4.4", "demo", "四、保障措施 > （四）建立奖惩机制",
               "对招商引资工作成绩突出的单位和个人，给予表彰。", 0, 24, 1),
        promote.document, 0.9, {"relevance": 0.9},
    )
    quote = lead_quote(extractive, "我们帮着引进了好几个项目，市政府对招商引资做得好的单位有表彰不？", promote, reward)
    assert "表彰" in quote


def test_what_a_figure_is_for_is_quoted_with_it_when_the_sentence_before_says_it(extractive):
    text = ("第十条 运用财政后补助等方式支持企业通过受让、许可、作价入股等方式实施科技成果转化。"
            "对于在区内转化的技术转让额超过50万元的项目，按合同交易金额给予企业5%、不超过50万元的资助。")
    quote = lead_quote(extractive, "对方拿一项技术作价入股，在区里转化，资助多少？", _hit(text, path="第十条"))
    assert "作价入股" in quote and "5%" in quote


def test_whom_to_get_a_paper_from_is_answered_by_the_body_that_issues_it(extractive):
    report = _hit("第十一条 拟实施并购的企业应向企业所在地市级经信委报送《企业并购计划项目申报表》。", path="第十一条")
    paper = ClauseHit(
        Clause("demo:26.13", "demo", "第二十六条 > 13", "13.企业不拖欠各项税、费证明（税、费征缴部门出具）。", 0, 27, 1),
        report.document, 0.9, {"relevance": 0.9},
    )
    assert "征缴部门出具" in lead_quote(extractive, "报首台套补助，不欠税费的证明找谁开？", report, paper)


def test_a_measure_given_by_reference_is_quoted_with_the_article_it_refers_to(bundled_kb):
    tiers = Clause("demo:ch2.art7.1", "demo", "第二章 > 第七条培育经营主体 > （一）推动外贸企业转型",
                   "第七条 培育经营主体。\n（一）年进出口额200万美元以上的企业，给予10万元扶持资金；"
                   "年进出口额500万美元以上的企业，给予20万元扶持资金。", 0, 80, 0)
    other = Clause("demo:ch2.art7.2", "demo", "第二章 > 第七条培育经营主体 > （二）鼓励建立体验店",
                   "（二）对建立线下体验店的，按交易额的10%给予资金扶持。", 80, 110, 1)
    bonded = _hit("（三）鼓励建立出口监管仓。经海关批准的出口监管仓，按出口额度比照本规定第七条第一款给予资金扶持，"
                  "每家企业最多给予30万元。", path="第二章 > 第九条开拓国际市场 > （三）鼓励建立出口监管仓")
    answerer = ExtractiveAnswerer(bundled_kb.tokenizer.tokenize, bundled_kb.term_weights,
                                  clauses_of=lambda doc_id: [tiers, other, bonded.clause])
    draft = final_draft(answerer.stream(frame("出口监管仓去年出口了300来万美元，能拿多少？"), [bonded]))
    assert "所引本规定第七条第一款" in draft.text and "给予10万元扶持资金" in draft.text
    assert "体验店" not in draft.text
