"""Questions as owners type them: greetings and overviews, typos, colloquial words, a
shared place name, a bare term — each gets a clear outcome, never another place's figure."""

from __future__ import annotations

import cn2an
import pytest

from assistant.config import Settings
from assistant.conversation import ConversationStore
from assistant.presentation import citation_card
from assistant.relevance import RelevanceModel
from assistant.replies import RELATED_LEAD
from assistant.service import Assistant
from assistant.wording import Wording
from knowledge.index import KnowledgeBase, KnowledgeConfig


@pytest.fixture(scope="module")
def assistant(bundled_kb, tmp_path_factory):
    store = ConversationStore("sqlite://")
    store.open()
    return Assistant(Settings(data_dir=tmp_path_factory.mktemp("everyday")), bundled_kb, store)


@pytest.mark.parametrize("message", ["你好", "您好！", "谢谢", "好的，谢谢！", "你能做什么？", "有什么政策？", "你们这有哪些惠企政策"])
def test_small_talk_and_overviews_get_a_helpful_reply_not_a_refusal(assistant, message):
    answer = assistant.ask(message)
    assert not answer.refused and answer.mode == "guide"
    assert "抱歉" not in answer.text and "落款" not in answer.text
    assert "您可以这样问" in answer.text and "12345" in answer.text
    assert answer.text.count("· ") >= 2, "example questions to click"


def test_an_overview_of_a_place_lists_its_documents(assistant):
    answer = assistant.ask("温县有哪些扶持政策？")
    assert answer.mode == "guide" and "《温县2023年深化“万人助万企”活动实施方案》" in answer.text
    assert "金华" not in answer.text.split("您可以这样问")[0]


def test_an_overview_of_a_place_without_documents_is_refused_by_name(assistant):
    answer = assistant.ask("西安有什么政策？")
    assert answer.refused and "西安市" in answer.text


@pytest.mark.parametrize(("typed", "fact"), [
    ("郑州小巨仁企业首次获评奖励多少？", "200万元"),
    ("郑州专精特心小巨人首次评上给多少钱", "200万元"),
])
def test_misspelt_terms_are_understood(assistant, typed, fact):
    answer = assistant.ask(typed)
    assert not answer.refused and fact in answer.text, answer.text


@pytest.mark.parametrize("typed", ["郑州是不是对小巨人企业有奖励？", "郑州是否奖励首次获评的小巨人企业"])
def test_a_place_then_shi_is_read_as_typed_not_as_a_misspelt_city(assistant, typed):
    answer = assistant.ask(typed)
    assert answer.standalone_question == typed and "200万元" in answer.text, answer.text


def test_colloquial_words_reach_the_clause(assistant):
    answer = assistant.ask("郑州评上小巨人的公司能拿多少钱？")
    assert not answer.refused and "200万元" in answer.text, answer.text


def test_how_an_owner_puts_it_does_not_hide_the_clause_asked_about(assistant):
    # 一家, 那边, 还是, 一般: words of how it is said, not of what is asked; the clause on
    # the 小巨人 reward is shown, not a refusal naming it as merely the closest content.
    answer = assistant.ask("我们是郑州一家做软件的，那边说小巨人企业有奖，还是得国家级的吧，一般给多少？")
    assert not answer.refused, answer.text
    assert "200万元" in answer.text and "抱歉" not in answer.text


@pytest.mark.parametrize("message", ["专精特新", "郑州", "？？？!!"])
def test_a_bare_term_place_or_punctuation_gets_a_clear_outcome(assistant, message):
    from assistant.errors import QuestionRejected

    try:
        answer = assistant.ask(message)
    except QuestionRejected as exc:
        assert "问题" in str(exc)
        return
    assert answer.text.strip()
    if answer.citations:
        assert not answer.refused


def test_related_answers_are_marked_and_never_refusals(bundled_kb, tmp_path):
    """Between the related and the answer threshold, the closest clauses are quoted under
    a plain "not stated" lead; below the related threshold, a refusal."""
    shipped = RelevanceModel.load()
    store = ConversationStore("sqlite://")
    store.open()
    strict = RelevanceModel(shipped.weights, shipped.intercept, threshold=0.999, related_threshold=0.001)
    assistant = Assistant(Settings(data_dir=tmp_path), bundled_kb, store, relevance=strict)
    answer = assistant.ask("温县政府采购工程项目预留比例是多少？")
    assert answer.related and not answer.refused and answer.citations
    assert answer.text.startswith(RELATED_LEAD) and "40%以上" in answer.text
    assert answer.as_json()["related"] is True
    unrelated = assistant.ask("请介绍一下火星上的气候")
    assert unrelated.refused and not unrelated.related


def test_a_place_name_shared_by_two_covered_places_is_asked_back(e5, tmp_path):
    kb = KnowledgeBase.open(KnowledgeConfig(data_dir=tmp_path / "data"), embedder=e5)
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "南京鼓楼.txt").write_text("南京市鼓楼区人民政府\n一、对新认定的高新技术企业奖励20万元。\n", encoding="utf-8")
    (policies / "福州鼓楼.txt").write_text("福州市鼓楼区人民政府\n一、对新认定的高新技术企业奖励10万元。\n", encoding="utf-8")
    assert len(kb.ingest([policies]).added) == 2
    store = ConversationStore("sqlite://")
    store.open()
    assistant = Assistant(Settings(data_dir=tmp_path), kb, store)
    answer = assistant.ask("鼓楼区高新技术企业奖励多少？")
    assert not answer.refused and not answer.citations
    assert "南京市鼓楼区" in answer.text and "福州市鼓楼区" in answer.text and "哪一个" in answer.text
    settled = assistant.ask("福州鼓楼区高新技术企业奖励多少？")
    assert "10万元" in settled.text and "20万元" not in settled.text


def assistant_on_policy(e5, tmp_path, filename: str, text: str) -> Assistant:
    """An assistant over one policy file, `text` stored as `filename`."""
    kb = KnowledgeBase.open(KnowledgeConfig(data_dir=tmp_path / "data"), embedder=e5)
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / filename).write_text(text, encoding="utf-8")
    assert len(kb.ingest([policies]).added) == 1
    store = ConversationStore("sqlite://")
    store.open()
    return Assistant(Settings(data_dir=tmp_path), kb, store)


def assistant_on_one_policy(e5, tmp_path, second_clause: str) -> Assistant:
    """An assistant over one county policy: a 20万元 专精特新 award and `second_clause`."""
    return assistant_on_policy(
        e5, tmp_path, "宁陵县扶持办法.txt",
        "宁陵县人民政府关于支持中小企业发展的若干措施\n"
        f"一、对新认定的省级专精特新中小企业，给予一次性奖励20万元。\n{second_clause}\n",
    )


def test_a_short_question_that_leans_on_the_previous_one_unannounced_is_answered_from_it(e5, tmp_path):
    assistant = assistant_on_one_policy(
        e5, tmp_path, "二、各乡镇要将制定的实施细则，于本措施印发之日起10个工作日内报县工业和信息化局备案。")
    alone = assistant.ask("报到哪里备案？")
    assert alone.refused or alone.related, alone.text  # on its own it names nothing to look up
    first = assistant.ask("宁陵县乡镇的实施细则多少天内要报上去？")
    assert "10个工作日" in first.text, first.text
    leaning = assistant.ask("报到哪里备案？", session_id=first.session_id)
    assert not leaning.refused and not leaning.related and "县工业和信息化局" in leaning.text, leaning.text
    assert not leaning.text.startswith("1."), "one question, not the previous one answered again"
    own = assistant.ask("专精特新奖多少？", session_id=first.session_id)
    assert "20万元" in own.text, "a short question answered on its own keeps its own subject"
    uncovered = assistant.ask("社保基数怎么定？", session_id=first.session_id)
    assert uncovered.refused or uncovered.related, "a new subject no clause covers does not get the last answer again"


def test_asked_whether_there_is_a_grant_the_sentence_granting_it_leads_not_another_measures_figure(e5, tmp_path):
    assistant = assistant_on_one_policy(
        e5, tmp_path, "二、支持产学研联合。对企业参与研制并获准颁布国家、行业标准的，给予一定资助和奖励。"
                      "对到本县转化的科技成果项目，择优给予不低于100万元的奖励。")
    answer = assistant.ask("宁陵县我们公司参与研制的行业标准刚获批颁布了，有奖励吗")
    lead = answer.text.split("[1]")[0]
    assert "给予一定资助和奖励" in lead and "100万元" not in lead, answer.text


def test_the_next_sentence_going_on_about_the_same_subject_is_quoted_with_it(e5, tmp_path):
    assistant = assistant_on_one_policy(
        e5, tmp_path, "二、各乡镇招商部门可与有意向的投资企业签订《投资意向书》，报县土地储备中心汇总。"
                      "《投资意向书》仅是土地出让的洽谈意见，企业需通过招标、拍卖、挂牌方式取得土地使用权。"
                      "县自然资源局负责做好用地保障。")
    answer = assistant.ask("宁陵县跟乡里签了投资意向书，是不是就能直接拿到地了？")
    assert "招标、拍卖、挂牌" in answer.text.split("[1]")[0], answer.text


def test_who_runs_what_the_first_ask_was_answered_with_comes_from_that_clause(e5, tmp_path):
    assistant = assistant_on_one_policy(
        e5, tmp_path, "二、加大金融支持力度。落实创业担保贷款政策，扶持政策对象创业就业。（县人力资源和社会保障局牵头负责）\n"
                      "三、简化快递业务经营许可程序，压缩工作时限。（县邮政管理局牵头负责）")
    answer = assistant.ask("我们小团队在宁陵县创业，有没有创业担保贷款能申请？哪个部门牵头管")
    second = answer.text.split("2. ")[-1]
    assert "县人力资源和社会保障局牵头负责" in second and "邮政" not in second, answer.text


def test_a_figure_no_clause_states_gets_the_related_clauses_not_an_answer(e5, tmp_path):
    """Asked "按多少比例", a clause that grants 适当的补贴 is related, not an answer; the
    same knowledge base answers a question whose figure it does state."""
    assistant = assistant_on_one_policy(e5, tmp_path, "二、对入驻众创空间的创业团队，给予适当的房租补贴。")
    unstated = assistant.ask("宁陵县众创空间房租补贴按多少比例给？")
    assert unstated.related and not unstated.refused and unstated.text.startswith(RELATED_LEAD)
    assert "房租补贴" in unstated.citations[0].quote
    stated = assistant.ask("宁陵县省级专精特新企业奖励多少钱？")
    assert not stated.related and not stated.refused and "20万元" in stated.text


def test_a_two_part_question_is_answered_part_by_part(e5, tmp_path):
    assistant = assistant_on_one_policy(e5, tmp_path, "二、对新引进的博士研究生，每人每月发放生活补贴3000元，连续发放3年。")
    answer = assistant.ask("宁陵县省级专精特新企业奖励多少钱？另外引进博士每月补贴多少？")
    assert not answer.refused and not answer.related
    first, second = answer.text.index("1. "), answer.text.index("2. ")
    assert "20万元" in answer.text[first:second] and "3000元" in answer.text[second:]
    assert [c.n for c in answer.citations] == [1, 2] and "[2]" in answer.text[second:]


def test_two_asks_one_sentence_answers_are_one_answer_not_the_same_quote_twice(e5, tmp_path):
    """"能报不？会不会卡国籍": the sentence answering the first answers the second too."""
    assistant = assistant_on_one_policy(
        e5, tmp_path, "二、外籍人才申报创新创业项目、科学技术奖项，不受国籍、身份等条件限制。")
    answer = assistant.ask("宁陵县我们公司有个德国工程师想报科学技术奖，能报不？会不会卡国籍")
    assert not answer.refused and not answer.related, answer.text
    assert "不受国籍" in answer.text and "1. " not in answer.text and len(answer.citations) == 1, answer.text


def test_asked_yes_or_no_the_one_clause_far_ahead_of_the_rest_is_the_answer(e5, tmp_path):
    """The clause saying whether (引导…开发动产抵押信贷产品) shares few of the owner's words;
    far ahead of every other clause, it answers. A figure asked is still not answered by it."""
    assistant = assistant_on_one_policy(
        e5, tmp_path, "二、引导金融机构开发知识产权质押、动产抵押等信贷产品，拓宽中小企业融资渠道。")
    answer = assistant.ask("宁陵县俺们厂想拿机器设备抵押去贷款，政策上支持不？")
    assert not answer.refused and not answer.related and "动产抵押" in answer.text, answer.text
    figure = assistant.ask("宁陵县俺们厂想拿机器设备抵押去贷款，利率能优惠多少？")
    assert figure.refused or figure.related, figure.text


def test_asked_yes_or_no_two_clauses_about_as_related_are_shown_as_related_not_an_answer(e5, tmp_path):
    assistant = assistant_on_one_policy(
        e5, tmp_path, "二、鼓励金融机构开发动产抵押、知识产权质押等信贷产品。\n"
                      "三、鼓励金融机构开发应收账款质押、存货抵押等信贷产品。")
    answer = assistant.ask("宁陵县俺们厂想拿机器设备抵押去贷款，政策上支持不？")
    assert answer.related and not answer.refused, answer.text


def test_asked_which_document_a_policy_follows_the_article_citing_it_answers(e5, tmp_path):
    assistant = assistant_on_policy(
        e5, tmp_path, "宁陵县融资租赁扶持办法.txt",
        "宁陵县融资租赁企业扶持办法\n"
        "第一条 为吸引融资租赁企业入驻，根据《河南省人民政府办公厅关于促进融资租赁业发展的实施意见》"
        "（豫政办〔2016〕91号）精神，制定本办法。\n"
        "第二条 本办法扶持融资租赁企业开展设备租赁业务，主要包括先进制造、现代农业等领域。\n"
        "第三条 融资租赁企业为县内企业融资3000万元以上的，按融资额的1%给予奖励。\n",
    )
    answer = assistant.ask("宁陵县融资租赁扶持办法是照着省里哪个文件定的？文号是多少")
    assert not answer.refused and "豫政办〔2016〕91号" in answer.text.split("[1]")[0], answer.text


def test_a_loose_count_in_the_owners_account_asks_nothing(e5, tmp_path):
    assistant = assistant_on_one_policy(e5, tmp_path, "二、对经县主管部门备案的产业创新联盟，每年给予最高100万元的资助。")
    answer = assistant.ask("我们跟几家高校搞了个产业创新联盟，在宁陵县备了案，一年最多能给多少？")
    assert "1. " not in answer.text and "100万元" in answer.text, answer.text


def test_a_few_the_owner_plans_to_hire_asks_nothing(e5, tmp_path):
    assistant = assistant_on_one_policy(e5, tmp_path, "二、对新引进的博士研究生，每人每月发放生活补贴3000元，连续发放3年。")
    answer = assistant.ask("我们在宁陵县打算建个研发中心，想招几个博士，引进博士每月补贴多少？")
    assert "1. " not in answer.text and "3000元" in answer.text, answer.text
    answer = assistant.ask("我们在宁陵县的研发中心新引进了几个博士，每月补贴多少？")
    assert "1. " not in answer.text and "3000元" in answer.text, answer.text


def test_a_follow_up_read_with_the_question_before_does_not_answer_that_one_again(e5, tmp_path):
    assistant = assistant_on_one_policy(e5, tmp_path, "二、奖励资金应当用于企业技术改造和研发投入，不得用于发放福利。")
    first = assistant.ask("宁陵县省级专精特新企业能奖多少？")
    assert "20万元" in first.text
    follow_up = assistant.ask("那这笔奖励钱，对咋花有要求没？", session_id=first.session_id)
    assert "1. " not in follow_up.text and "能奖多少" not in follow_up.text, follow_up.text
    assert "技术改造" in follow_up.text.split("另见")[0], follow_up.text  # the clause that says so leads


def test_a_second_ask_whether_the_owner_can_use_what_the_first_names_is_one_ask(e5, tmp_path):
    assistant = assistant_on_one_policy(
        e5, tmp_path, "二、整合物流信息资源，建设全县统一的智慧物流公共信息平台。鼓励物流龙头企业面向中小企业建设信息服务平台。")
    answer = assistant.ask("宁陵县是不是要搞个统一的物流信息平台？我们这种中小物流公司能用上不")
    assert "2. " not in answer.text and "面向中小企业" in answer.text, answer.text


def test_what_the_owner_says_he_knows_already_is_not_searched_again(e5, tmp_path):
    assistant = assistant_on_one_policy(
        e5, tmp_path, "二、鼓励养老机构参加责任保险，对参加团体责任险的养老机构，县财政补助保费的80%。\n"
        "三、创新养老保险产品，开展住房反向抵押养老保险试点，发展老年人商业性长期护理保险。")
    answer = assistant.ask("宁陵县除了给养老院的责任险，还鼓励搞哪些养老方面的保险产品？")
    assert not answer.refused and "长期护理保险" in answer.text.split("\n")[0], answer.text


def test_why_the_owner_asks_is_not_answered_as_a_second_ask(e5, tmp_path):
    assistant = assistant_on_one_policy(e5, tmp_path, "二、对新引进的博士研究生，每人每月发放生活补贴3000元，连续发放3年。")
    answer = assistant.ask("宁陵县省级专精特新企业奖励多少钱？我们好提前准备材料")
    assert not answer.refused and "2. " not in answer.text and "20万元" in answer.text, answer.text
    asked = assistant.ask("宁陵县省级专精特新企业奖励多少钱？我们想引进博士，每月补贴多少")
    assert "2. " in asked.text and "3000元" in asked.text, asked.text  # a second ask, not a remark


def test_another_answer_offered_with_haishi_is_the_same_ask(e5, tmp_path):
    assistant = assistant_on_one_policy(
        e5, tmp_path, "二、对年纳税额超过500万元的企业，给予企业高级管理人员合计最高10万元奖励。"
        "本条所称高级管理人员，包括总经理、副总经理、财务总监和风险控制主管。")
    answer = assistant.ask("宁陵县给企业高管的奖励，我们风控主管算不算高管？还是只有总经理能拿")
    assert not answer.refused and "2. " not in answer.text and "高级管理人员" in answer.text, answer.text
    # Asked whether it counts, the sentence saying what the rule means by it leads.
    assert "风险控制主管" in answer.text.split("\n")[0], answer.text


def test_a_follow_up_opening_with_na_that_names_nothing_leans_on_the_question_before(e5, tmp_path):
    assistant = assistant_on_one_policy(
        e5, tmp_path, "二、对在县内租赁自用办公用房的地区总部，按房租的50%给予补贴，补贴期限3年，每年最高补贴100万元。")
    first = assistant.ask("我们是外地企业在宁陵县设的地区总部，租的写字楼房租能补多少？")
    assert "50%" in first.text, first.text
    follow_up = assistant.ask("那能补几年？", session_id=first.session_id)
    assert not follow_up.refused and not follow_up.related and "3年" in follow_up.text, follow_up.text


@pytest.mark.parametrize("question", [
    "宁陵县省级专精特新企业奖励多少钱，引进博士每月补贴多少？",
    "宁陵县省级专精特新企业奖励和引进博士每月生活补贴分别是多少？",
])
def test_two_asks_in_one_sentence_are_answered_one_by_one(e5, tmp_path, question):
    assistant = assistant_on_one_policy(e5, tmp_path, "二、对新引进的博士研究生，每人每月发放生活补贴3000元，连续发放3年。")
    answer = assistant.ask(question)
    assert not answer.refused and "2. " in answer.text, answer.text
    first, second = answer.text.index("1. "), answer.text.index("2. ")
    assert "20万元" in answer.text[first:second] and "3000元" in answer.text[second:]


def test_a_common_short_form_of_a_policy_term_finds_the_clause(kb_copy, tmp_path):
    policy = ("惠济区促进房地产业平稳发展的若干措施\n一、培育房地产业新的增长点。结合新型城镇化建设，继续狠抓中心镇建设。"
              "加快实施城市棚户区改造、城中村改造工程。对棚户区改造工程所需新增建设用地实行应保尽保。\n"
              "二、推动工业地产、商业地产、养老地产等非住宅房地产加快发展。\n")
    assistant = assistant_with_huiji_policy(kb_copy, tmp_path, "huiji-housing.txt", policy)
    answer = assistant.ask("我们是惠济区的开发商，棚改项目要新增建设用地能保证不？")
    assert not answer.refused and not answer.related and "应保尽保" in answer.text, answer.text
    # The words owners shorten policy terms to: each finds the term the documents write.
    wording = Wording.load()
    for short, full in [("棚改", "棚户区改造"), ("双创", "大众创业万众创新"), ("营改增", "营业税改征增值税"),
                        ("公租房", "公共租赁住房")]:
        assert (full, (full, short)) in wording.phrases(f"惠济区{short}有啥政策"), short


def test_a_short_form_no_clause_uses_finds_its_full_form(e5, tmp_path):
    """个税 is nowhere in the document; 个人所得税 is, and keeps 个 and 税 in order."""
    assistant = assistant_on_one_policy(
        e5, tmp_path, "二、对企业高级管理人员缴纳的个人所得税地方留成部分，按50%给予奖励。")
    answer = assistant.ask("宁陵县企业高管交的个税能返多少？")
    assert not answer.refused and "50%" in answer.text
    assert "个人所得税" in answer.citations[0].quote


def test_a_what_if_follow_up_keeps_the_subject_of_the_question_before(e5, tmp_path):
    assistant = assistant_on_one_policy(
        e5, tmp_path, "二、总部企业购买自用办公用房的，按每平方米1000元给予补助，最高500万元。"
                      "租用自用办公用房的，按每平方米每月30元给予租金补贴，连续补贴3年。")
    first = assistant.ask("宁陵县总部企业购买办公用房补多少？")
    assert "1000元" in first.text
    follow_up = assistant.ask("租的话呢？", session_id=first.session_id)
    assert not follow_up.refused and "30元" in follow_up.text and "租用" in follow_up.citations[0].quote


def test_who_is_in_charge_is_answered_with_the_department(e5, tmp_path):
    assistant = assistant_on_one_policy(
        e5, tmp_path, "二、本措施由县工业和信息化局负责解释，自发布之日起施行。")
    answer = assistant.ask("宁陵县这个扶持措施由哪个部门负责解释？")
    assert not answer.refused and "县工业和信息化局负责解释" in answer.text


def test_a_figure_the_question_states_is_placed_in_its_tier(e5, tmp_path):
    assistant = assistant_on_one_policy(
        e5, tmp_path, "二、对年度地方经济贡献100万元至500万元的总部企业，奖励20万元；"
                      "500万元以上的，奖励50万元。")
    answer = assistant.ask("宁陵县总部企业一年贡献1000万，能奖励多少？")
    assert not answer.refused and "奖励20万元；" in answer.text, "the tiers are quoted whole"
    assert answer.text.startswith("宁陵县：按您所说的1000万，适用“500万元以上的，奖励50万元”。[1]")
    assert "适用" not in assistant.ask("宁陵县总部企业贡献奖励标准是什么？").text, "no figure asked, no tier named"


def assistant_with_huiji_policy(kb: KnowledgeBase, tmp_path, name: str, policy: str) -> Assistant:
    """An assistant over the bundled policies plus `policy`, a 惠济区 document stored as `name`."""
    kb.ingest_bytes(name, policy.encode("utf-8"), sidecar_text="region: 惠济区\n")
    store = ConversationStore("sqlite://")
    store.open()
    return Assistant(Settings(data_dir=tmp_path), kb, store)


def test_an_answer_quoting_a_document_past_its_own_term_says_so(kb_copy, tmp_path):
    policy = (
        "惠济区人才公寓租房补贴暂行办法\n"
        "第一条 对新引进的全日制博士研究生，给予每月2000元租房补贴。\n"
        "第二条 本办法自2018年1月1日起施行，有效期至{end}。\n"
    )
    assistant = assistant_with_huiji_policy(kb_copy, tmp_path, "huiji-rent.txt", policy.format(end="2020年12月31日"))
    answer = assistant.ask("惠济区新引进的博士租房补贴一个月多少钱？")
    assert not answer.refused and "2000元" in answer.text, answer.text
    assert "有效期至2020年12月31日）已过文件自述的有效期" in answer.text, answer.text
    cited = next(c for c in answer.citations if c.title.startswith("惠济区人才公寓"))
    assert (cited.valid_until, cited.expired) == ("2020-12-31", True)
    assert "有效期至2020年12月31日（已过期）</span>" in citation_card(cited, "k")

    assistant = assistant_with_huiji_policy(kb_copy, tmp_path, "huiji-rent.txt", policy.format(end="2099年12月31日"))
    answer = assistant.ask("惠济区新引进的博士租房补贴一个月多少钱？")
    assert "2000元" in answer.text and "有效期" not in answer.text, answer.text
    cited = next(c for c in answer.citations if c.title.startswith("惠济区人才公寓"))
    assert (cited.valid_until, cited.expired) == ("2099-12-31", False)


def test_an_item_of_a_list_is_quoted_with_the_opening_that_says_what_the_list_is(kb_copy, tmp_path):
    policy = (
        "惠济区总部企业认定办法\n"
        "第一条 为发展总部经济，制定本办法。\n"
        "第二条 属于下列情形之一的企业，不予认定：\n"
        "（一）在享受政府财政资助中有严重违约行为的。\n"
        "（二）发生重大税收违法行为的。\n"
        "（三）正在被有关机关立案查处的。\n"
        "第三条 本办法自2024年1月1日起施行。\n"
    )
    assistant = assistant_with_huiji_policy(kb_copy, tmp_path, "huiji-hq-bars.txt", policy)
    answer = assistant.ask("惠济区我们公司前年出过重大税收违法的事，还能认定总部企业不？")
    assert "不予认定：[1]（二）发生重大税收违法行为的。[2]" in answer.text, answer.text
    opening, item = answer.citations[:2]
    assert opening.quote == "第二条 属于下列情形之一的企业，不予认定：" and opening.quote in opening.text
    assert item.quote == "（二）发生重大税收违法行为的。"
    first = assistant.ask("惠济区企业在享受政府财政资助中有严重违约行为的，还能认定总部企业吗？")
    assert "不予认定：\n（一）在享受政府财政资助中有严重违约行为的。[1]" in first.text, first.text


def test_asked_which_papers_to_prepare_the_article_headed_by_them_is_listed(kb_copy, tmp_path):
    policy = (
        "惠济区鼓励外贸及跨境电子商务发展扶持资金暂行办法\n"
        "第十一条 申报条件\n"
        "（一）申报主体须符合本办法关于扶持对象的条件，扶持对象包括跨境电子商务企业和外贸企业。\n"
        "（二）申报材料中的进出口数据以海关或区商务局认定数据为准。\n"
        "（三）企业财务管理制度健全，在进出口业务、电子商务业务方面无违法违规行为。\n"
        "第十二条 申报材料\n"
        "（一）法人营业执照副本复印件。\n"
        "（二）项目申报表。\n"
        "（三）经会计师事务所审计的企业上年度财务审计报告。\n"
    )
    assistant = assistant_with_huiji_policy(kb_copy, tmp_path, "huiji-trade-papers.txt", policy)
    answer = assistant.ask("在惠济区申报外贸跨境电商扶持，都得准备哪些材料啊？")
    assert "法人营业执照副本复印件" in answer.text and "财务审计报告" in answer.text, answer.text


def test_a_figure_beyond_every_tier_is_not_answered_with_the_tiers(kb_copy, tmp_path):
    policy = (
        "惠济区总部企业财政贡献扶持办法\n"
        "第一条 对总部企业按年度区级贡献给予扶持。"
        "年度区级贡献在100万元至300万元的，扶持12%；年度区级贡献在300万元至1000万元的，扶持20%。\n"
        "第二条 本办法自2024年1月1日起施行。\n"
    )
    assistant = assistant_with_huiji_policy(kb_copy, tmp_path, "huiji-hq-tiers.txt", policy)
    inside = assistant.ask("惠济区总部企业年度区级贡献400万，扶持比例是多少？")
    assert not inside.refused and not inside.related and "20%" in inside.text, inside.text
    beyond = assistant.ask("惠济区总部企业年度区级贡献5000万，扶持比例是多少？")
    assert beyond.related or beyond.refused, beyond.text


def test_asking_what_a_document_grants_lists_every_grant_of_it(kb_copy, tmp_path):
    policy = (
        "惠济区促进融资租赁行业发展扶持办法\n"
        "第一条 为促进融资租赁行业发展，制定本办法。\n"
        "第二条 新注册的融资租赁企业，到位注册资本1亿元的，给予100万元奖励。\n"
        "第三条 融资租赁企业利用商业贷款购买大型设备的，按年贷款利息的20%给予补贴，最高50万元。\n"
        "第四条 融资租赁企业为区内企业提供融资的，按融资总额的1%给予补贴。\n"
        "第五条 本办法自2024年1月1日起施行。\n"
    )
    assistant = assistant_with_huiji_policy(kb_copy, tmp_path, "huiji-leasing.txt", policy)
    listed = assistant.ask("惠济区对融资租赁公司有哪些扶持政策？")
    assert "融资租赁行业发展扶持办法" in listed.text.splitlines()[0], listed.text
    assert all(figure in listed.text for figure in ("100万元", "20%", "1%")), listed.text
    assert len(listed.citations) == 3 and all(c.quote in c.text for c in listed.citations)
    one = assistant.ask("惠济区融资租赁企业买设备贷款，利息补贴多少？")
    assert "20%" in one.text and "100万元" not in one.text, one.text


def test_a_long_list_of_a_documents_grants_keeps_those_with_figures(kb_copy, tmp_path):
    in_kind = ["优先安排用地指标", "优先给予信用贷款", "优先提供融资担保", "免收行政事业性收费", "优先办理环评手续",
               "优先保障用电", "优先供应土地", "免征城镇土地使用税", "减半征收房产税", "优先推荐申报项目",
               "优先安排技改资金", "优先提供人才公寓", "免征印花税", "免缴城市基础设施配套费", "优先提供贷款担保"]
    grants = [f"对物流企业{grant}。" for grant in in_kind] + [
        "对新评为5A级的物流企业，给予80万元奖励。", "对物流企业新建冷库，按投资额的10%给予补助，最高200万元。"]
    articles = [f"第{cn2an.an2cn(n)}条 {grant}" for n, grant in enumerate(grants, start=1)]
    policy = "惠济区物流业扶持办法\n" + "\n".join(articles) + "\n"
    assistant = assistant_with_huiji_policy(kb_copy, tmp_path, "huiji-logistics.txt", policy)
    listed = assistant.ask("惠济区物流业扶持办法有哪些扶持？")
    assert "80万元" in listed.text and "200万元" in listed.text, listed.text
    assert "另有" in listed.text, listed.text


def test_a_list_question_gathers_the_grants_of_every_item_of_the_article(kb_copy, tmp_path):
    policy = (
        "惠济区冷链产业扶持办法\n"
        "第一条 为促进冷链产业发展，制定本办法。\n"
        "第二条 支持冷链仓储设施建设\n"
        "（一）对企业租赁冷库仓储空间的，按租赁费用的10%给予补贴，每家企业每年最高5万元。\n"
        "（二）对企业新建冷藏车辆停靠场站的，区政府给予1:1的配套补助。\n"
        "第三条 本办法自2024年1月1日起施行。\n"
    )
    assistant = assistant_with_huiji_policy(kb_copy, tmp_path, "huiji-coldchain.txt", policy)
    listed = assistant.ask("惠济区冷库仓储这块都有啥补贴？")
    assert "10%" in listed.text and "1:1" in listed.text, listed.text


def test_a_figure_for_the_next_measure_does_not_answer_for_the_one_asked(kb_copy, tmp_path):
    policy = (
        "惠济区科技园区扶持办法\n"
        "第一条 对园区企业获得发明专利、驰名商标的，给予一定资助和奖励。"
        "对到园区转化的具有较好经济效益的科技项目，择优给予不低于100万元的奖励。\n"
        "第二条 本办法自2024年1月1日起施行。\n"
    )
    assistant = assistant_with_huiji_policy(kb_copy, tmp_path, "huiji-techpark.txt", policy)
    trademark = assistant.ask("惠济区科技园区企业拿到驰名商标，奖励多少钱？")
    assert trademark.related or trademark.refused, trademark.text
    project = assistant.ask("惠济区科技园区转化的科技项目奖励多少？")
    assert not project.related and not project.refused and "100万元" in project.text, project.text


def test_asking_for_the_conditions_lists_every_item_of_the_article(kb_copy, tmp_path):
    policy = (
        "惠济区总部企业认定办法\n第一章 认定\n第一条 认定条件\n"
        "（一）注册登记、税务关系在惠济区。\n（二）具有独立法人资格、健全的财务制度。\n"
        "（三）年纳税额2000万元以上。\n（四）具有总部管理职能。\n"
        "第二条 本办法自2024年1月1日起施行。\n"
    )
    assistant = assistant_with_huiji_policy(kb_copy, tmp_path, "huiji-hq-conditions.txt", policy)
    listed = assistant.ask("惠济区认定总部企业，纳税这些条件都有哪些？")
    lines = [line for line in listed.text.splitlines() if line.startswith("· ")]
    assert [line[2:6] for line in lines] == ["（一）注", "（二）具", "（三）年", "（四）具"], listed.text
    assert "第一条" not in listed.text and all(c.quote in c.text for c in listed.citations)


def test_asked_which_cases_an_article_lists_below_its_opening_every_case_is_listed(kb_copy, tmp_path):
    policy = (
        "惠济区工程实验室管理办法\n第二章 监督管理\n"
        "第九条 工程实验室建设和运行中出现下列情况的，应及时纠正；情节严重的，区发展改革委予以通报。\n"
        "（一）擅自改变项目建设目标、规模、内容。\n（二）截留、挤占和挪用区安排资金。\n"
        "（三）有重大弄虚作假、伪造或瞒报行为。\n"
        "第十条 本办法自2024年1月1日起施行。\n"
    )
    assistant = assistant_with_huiji_policy(kb_copy, tmp_path, "huiji-englab.txt", policy)
    answer = assistant.ask("惠济区的工程实验室出现哪些情况会被要求纠正？")
    assert all(case in answer.text for case in ("擅自改变项目建设目标", "挪用区安排资金", "弄虚作假")), answer.text
    papers = assistant_with_huiji_policy(kb_copy, tmp_path, "huiji-lease-papers.txt", (
        "惠济区融资租赁扶持办法\n第八条 申报扶持资金须提供以下材料：\n（一）扶持资金申请书；\n"
        "（二）注册资本金验资报告；\n（三）租赁设备清单；\n（四）上报材料真实性承诺书。\n"
    )).ask("惠济区融资租赁扶持资金，除了申请书还得准备啥材料？")
    assert all(paper in papers.text for paper in ("验资报告", "租赁设备清单", "真实性承诺书")), papers.text


def test_asking_what_comes_next_answers_with_the_next_step_of_the_procedure(kb_copy, tmp_path):
    policy = (
        "惠济区跨境电商扶持资金管理办法\n第三章 申报程序\n第九条 申报程序\n"
        "（一）企业向区商务局提交申报材料。\n（二）区商务局组织专家对申报项目进行评审。\n"
        "（三）评审结束后，区商务局委托第三方机构对项目进行公正性审核。\n"
        "（四）审核通过后，区商务局进行项目审批并公示7个工作日。\n"
        "第十条 本办法自2024年1月1日起施行。\n"
    )
    assistant = assistant_with_huiji_policy(kb_copy, tmp_path, "huiji-cbec-procedure.txt", policy)
    first = assistant.ask("惠济区跨境电商扶持资金评审结束后，谁来做公正性审核？")
    assert "第三方机构" in first.text, first.text
    after = assistant.ask("审核过了以后呢？", session_id=first.session_id)
    assert "项目审批并公示" in after.text and not after.related and not after.refused, after.text
    assert [c.clause_id for c in after.citations] == [first.citations[0].clause_id.replace(".3", ".4")]
    asked_first = assistant.ask("惠济区跨境电商扶持资金评审结束后，谁来做公正性审核？")
    kb_copy.remove(asked_first.citations[0].doc_id)  # withdrawn by the help desk meanwhile
    assert assistant.ask("然后呢？", session_id=asked_first.session_id).text  # answered, not an error


def test_a_figure_granted_to_other_levels_does_not_answer_for_the_level_asked(kb_copy, tmp_path):
    policy = (
        "惠济区跨境电子商务扶持办法\n"
        "第一条 鼓励跨境电商企业建设公共海外仓。对列入国家级和省级公共海外仓建设试点的企业，再给予50万元的扶持资金；"
        "被认定为市级公共海外仓建设试点的企业，给予一定的资金扶持（具体标准另行制定）。\n"
        "第二条 对跨境电商企业租用仓储空间的，按租赁费用的10%给予补贴，每家最高2万元。\n"
    )
    assistant = assistant_with_huiji_policy(kb_copy, tmp_path, "huiji-cbec.txt", policy)
    provincial = assistant.ask("惠济区省级公共海外仓试点扶持标准是多少？")
    assert not provincial.related and not provincial.refused and "50万元" in provincial.text, provincial.text
    city = assistant.ask("惠济区市级公共海外仓试点扶持标准是多少？")
    assert city.related or city.refused, city.text


def test_a_figure_of_another_measure_in_the_clause_does_not_answer(kb_copy, tmp_path):
    policy = (
        "惠济区促进养老服务业发展若干措施\n"
        "第一条 对民办养老机构参加团体责任险的，所需经费由区财政补助80%，人均补助不超过100元。"
        "对参加养老机构等级评定并获得相应等级的养老机构，给予一次性奖励。\n"
        "第二条 本措施自2024年1月1日起施行。\n"
    )
    assistant = assistant_with_huiji_policy(kb_copy, tmp_path, "huiji-elderly.txt", policy)
    grading = assistant.ask("惠济区养老机构评上等级，一次性奖多少钱？")
    assert grading.related or grading.refused, grading.text
    insurance = assistant.ask("惠济区养老机构参加责任险，财政补助多少？")
    assert not insurance.related and not insurance.refused and "80%" in insurance.text, insurance.text


def test_who_takes_applications_and_from_when_are_quoted_from_the_articles_that_say_so(kb_copy, tmp_path):
    """The articles naming the office and the day name neither the subject nor the grant;
    the document's other articles do."""
    grants = "".join(
        f"第{n}条 融资租赁企业申请{kind}扶持资金的，按{rate}%给予补贴，最高{cap}万元。\n"
        for n, (kind, rate, cap) in enumerate(
            [("设备购置", 20, 50), ("区内融资", 1, 100), ("新设", 5, 30), ("增资", 3, 40), ("人才引进", 10, 20),
             ("办公用房", 30, 60), ("租赁业务", 2, 80), ("信息系统", 15, 25)], start=1)
    )
    policy = (
        "惠济区促进融资租赁行业发展扶持办法\n" + grants +
        "第九条 申报本办法规定的各类扶持资金须提供以下材料：\n（一）融资租赁企业扶持资金申请书；\n（二）营业执照复印件。\n"
        "第十条 本办法各类扶持申请由惠济区商务局统一受理，组织相关单位审核。\n"
        "第十一条 本办法自2024年1月1日起施行。\n"
    )
    assistant = assistant_with_huiji_policy(kb_copy, tmp_path, "huiji-leasing-apply.txt", policy)
    answer = assistant.ask("惠济区融资租赁扶持资金去哪儿申请？")
    assert not answer.refused and "惠济区商务局" in answer.text.split("[1]")[0], answer.text
    effective = assistant.ask("惠济区促进融资租赁行业发展扶持办法从哪天开始施行？")
    assert not effective.refused and not effective.related, effective.text
    assert "2024年1月1日" in effective.text.split("[1]")[0], effective.text


def test_a_document_named_by_its_short_form_is_asked_when_it_applies(kb_copy, tmp_path):
    grants = "".join(
        f"第{n}条 对跨境电子商务企业{kind}的，给予{cap}万元扶持资金。\n"
        for n, (kind, cap) in enumerate([("建设海外仓", 50), ("开展品牌推广", 20), ("引进平台", 30), ("建设独立站", 10),
                                          ("开展人才培训", 5), ("建设线下园区", 100), ("租用仓储", 15), ("参加展会", 8)], start=1)
    )
    policy = "惠济区跨境电子商务扶持资金管理暂行办法\n" + grants + "第九条 本办法自印发之日起施行。\n"
    assistant = assistant_with_huiji_policy(kb_copy, tmp_path, "huiji-cbec-fund.txt", policy)
    answer = assistant.ask("请问下，惠济区那个跨境电商扶持资金管理办法，啥时候开始执行的啊？")
    assert not answer.refused and not answer.related, answer.text
    assert "自印发之日起施行" in answer.text.split("[1]")[0], answer.text


def test_a_question_in_everyday_speech_is_answered(kb_copy, tmp_path):
    """区里, 今年, 开个, 头一回 are in no clause: they say how the owner talks, and do not
    make the clause that answers look unrelated."""
    policy = (
        "惠济区跨境电子商务扶持资金管理办法\n"
        "第一条 鼓励跨境电子商务平台针对特定国家和地区开设小语种子网站，对年交易额超过1亿美元的平台，"
        "每开设1个子网站给予一次性扶持资金15万元。\n"
        "第二条 对新建跨境电子商务公共海外仓的企业，按实际投资额的10%给予补助，最高100万元。\n"
        "第三条 本办法自2024年1月1日起施行。\n"
    )
    assistant = assistant_with_huiji_policy(kb_copy, tmp_path, "huiji-cbec-sites.txt", policy)
    answer = assistant.ask("我们在惠济区做跨境电商平台，今年头一回想开个小语种子网站，区里能补多少啊？")
    assert not answer.refused and not answer.related and "15万元" in answer.text, answer.text


def test_renting_instead_of_buying_is_answered_with_the_rent_rule_and_its_cap(e5, tmp_path):
    assistant = assistant_on_one_policy(
        e5, tmp_path, "二、总部企业购买自用办公楼的，按购房价的5%给予补助，补助金额最高不超过200万元。\n"
                      "三、总部企业租用自用办公用房的，按月租金的3倍进行补助。补助金额最高不超过100万元。")
    first = assistant.ask("宁陵县总部企业买办公楼补多少？")
    assert "5%" in first.text
    follow_up = assistant.ask("租的话呢？", session_id=first.session_id)
    lead = follow_up.text.split("[1]")[0]
    assert "3倍" in lead and "100万元" in lead and "5%" not in lead, follow_up.text


def test_a_list_leads_with_the_grants_for_what_the_owner_runs(kb_copy, tmp_path):
    policy = (
        "惠济区加快发展养老服务业若干措施\n"
        "第一条 对区公办养老机构新建床位，区财政每张床位给予5000元建设补助；公办养老机构改造床位，每张给予2000元补助。\n"
        "第二条 对城市困难老年人的居家养老服务补贴，按每人每月200元发放；入住养老机构的，每人每月补贴600元。\n"
        "第三条 对社会力量举办的民办养老机构新建床位，每张床位给予10000元一次性补助；民办养老机构运营的，每收住1名老人每月补贴300元。\n"
        "第四条 本措施自2024年1月1日起施行。\n"
    )
    assistant = assistant_with_huiji_policy(kb_copy, tmp_path, "huiji-elderly-list.txt", policy)
    answer = assistant.ask("在惠济区办民办养老院，能拿到哪些补贴？")
    lines = [line for line in answer.text.splitlines() if line.startswith("· ")]
    assert len(lines) >= 2 and "民办" in lines[0] and "10000元" in lines[0], answer.text


def test_an_article_opening_with_the_departments_in_charge_is_quoted_for_who(kb_copy, tmp_path):
    """The outline reads "第五条 …为本办法的具体实施部门。" as the article's heading; it ends
    a sentence, so it is what the article says, and what answers who is in charge."""
    policy = (
        "惠济区跨境电子商务发展扶持资金管理规定\n"
        "第一条 对跨境电子商务线下园区，每新入驻1家企业给予园区扶持资金1万元，最多200万元。\n"
        "第二条 惠济区商务局和惠济区财政局为本规定的具体实施部门。惠济区商务局提出年度扶持资金安排建议，"
        "编制专项资金使用方案；惠济区财政局按使用方案拨付资金。\n"
        "第三条 本规定自2024年1月1日起施行。\n"
    )
    assistant = assistant_with_huiji_policy(kb_copy, tmp_path, "huiji-cbec-departments.txt", policy)
    answer = assistant.ask("惠济区跨境电商扶持资金的具体实施部门是谁？")
    assert not answer.refused, answer.text
    assert "惠济区商务局和惠济区财政局为本规定的具体实施部门" in answer.citations[0].quote, answer.text


def test_tiers_written_as_sentences_after_an_opening_按_place_the_owners_figure(e5, tmp_path):
    """"按其对区级贡献的一定比例…扶持，扶持的标准为：…的，扶持12%。…": the 按 in front is no
    grant, and each tier is a sentence of its own; 200来万 falls in the first."""
    assistant = assistant_on_one_policy(
        e5, tmp_path, "二、按其对区级贡献的一定比例对总部企业进行扶持，扶持的标准为：年度区级贡献在100万元至300万元"
                      "（含300万元）的，扶持12%。年度区级贡献在300万元至1000万元（含1000万元）的，扶持20%。"
                      "扶持期限为三年。年度区级贡献在1000万元以上的，由县政府研究给予特殊支持。")
    answer = assistant.ask("我们总部企业在宁陵县，一年区级贡献200来万，能返多少？")
    assert not answer.refused and not answer.related, answer.text
    assert answer.text.startswith("宁陵县：按您所说的200万，适用"), answer.text
    assert "扶持12%”" in answer.text.split("\n")[0]
    assert "扶持期限为三年" in answer.text, answer.text  # for how long, said after the tiers


def test_a_later_document_that_changes_the_rule_is_quoted_with_it(kb_copy, tmp_path):
    """An amending notice names the policy and the change, in words the question does not
    use; answered from the policy alone, the owner would get a rule no longer in force."""
    kb_copy.ingest_bytes(
        "huiji-park-tax.txt",
        ("惠济区支持科技园区开发建设的若干政策\n"
         "第一条 支持科技园区土地开发，土地出让金收益5年内全额用于园区建设。\n"
         "第二条 以2019年为基数，5年内科技园区形成的税收增量区级留成部分全额用于园区建设。\n").encode("utf-8"),
        sidecar_text="region: 惠济区\ndate: 2019-03-01\n",
    )
    assistant = assistant_with_huiji_policy(
        kb_copy, tmp_path, "huiji-park-tax-notice.txt",
        "惠济区人民政府办公室关于继续执行科技园区有关政策的通知\n"
        "经区政府同意，继续执行《惠济区支持科技园区开发建设的若干政策》，有效期延续5年。"
        "将原文第二条中“以2019年为基数”修改为“以2023年为基数”。\n")
    answer = assistant.ask("惠济区科技园区的税收增量现在按哪年当基数？")
    assert not answer.refused and "2019年" in answer.text, answer.text
    change = next(line for line in answer.text.split("\n") if line.startswith("后续调整"))
    assert "将原文第二条中“以2019年为基数”修改为“以2023年为基数”" in change, answer.text


def test_asking_which_measures_lists_the_clauses_sentences_one_per_line(e5, tmp_path):
    """"都有哪些路子" of a clause with several measures and no grant: each measure is a line;
    the item's title and the responsible units' notes standing alone or opening a sentence
    are not."""
    assistant = assistant_on_one_policy(
        e5, tmp_path, "二、推广绿色物流。支持发展甩挂运输、共同配送等模式（县交通局牵头，县公安局配合）。"
                      "鼓励采用节能环保的物流设施与装备。（县商务局牵头）大力发展回收物流，鼓励废旧产品回收。"
                      "〔县发展改革委、县物流（快递）协会按职责分工负责〕")
    answer = assistant.ask("宁陵县搞绿色物流都有哪些支持的路子？")
    assert not answer.refused and not answer.related, answer.text
    items = [line for line in answer.text.split("\n") if line.startswith("· ")]
    assert len(items) == 3 and all(line.endswith("[1]") for line in items), answer.text
    assert not any(line.startswith("· （") or "〔" in line for line in items), answer.text
    assert "甩挂运输" in items[0] and "节能环保" in items[1] and items[2].startswith("· 大力发展回收物流"), answer.text


def test_the_sentence_that_says_what_happens_next_is_quoted_with_the_lead(e5, tmp_path):
    """The best-matching sentence names the projects; the next one says what is done with a
    problem that cannot be solved, in words of the question the first does not use."""
    assistant = assistant_on_one_policy(
        e5, tmp_path, "二、对全县亿元以上重大项目实行月度跟踪调度。对项目推进中不能及时解决的问题要“亮红灯”，由县政府督办。")
    answer = assistant.ask("宁陵县亿元以上重大项目推进中解决不了的问题怎么处理？")
    assert not answer.refused and "亮红灯" in answer.text.split("\n")[0], answer.text


def test_a_figure_in_the_tier_that_grants_no_figure_is_related_not_answered(e5, tmp_path):
    """Above 1000万元 the county decides case by case: asked the rate for 1500万, the rates
    of the lower tiers are no answer; asked for 400万, the tier's rate is."""
    assistant = assistant_on_one_policy(
        e5, tmp_path, "二、对总部企业按区级贡献给予扶持：年度区级贡献在300万元至500万元（含500万元）的，扶持20%。"
                      "年度区级贡献在500万元至1000万元（含1000万元）的，扶持25%。"
                      "年度区级贡献在1000万元以上的，由县政府常务会议研究给予特殊支持。")
    for asked in ("扶持比例是多少？", "能返多少钱？"):
        above = assistant.ask("宁陵县总部企业区级贡献1500万，" + asked)
        assert above.related and not above.refused, above.text
    assert "按您所说的1500万，适用“年度区级贡献在1000万元以上的，由县政府常务会议研究给予特殊支持”" in above.text, above.text
    floor = assistant.ask("宁陵县总部企业区级贡献超过1000万，扶持比例是多少？")
    assert "按您所说的超过1000万，" in floor.text, floor.text
    within = assistant.ask("宁陵县总部企业区级贡献400万，扶持比例是多少？")
    assert not within.related and not within.refused and "20%" in within.text.split("\n")[0], within.text


def test_a_figure_of_the_clauses_other_measure_is_no_answer(e5, tmp_path):
    """The clause says what an upgraded information platform gets without a figure; the
    50万元 before it is for 5A物流企业. Asked how much for the platform: related."""
    assistant = assistant_on_one_policy(
        e5, tmp_path, "二、对新认定的5A级物流企业，一次性奖励50万元。支持物流企业升级改造物流信息服务平台，给予适当资金支持。")
    answer = assistant.ask("宁陵县物流企业升级信息服务平台，能补助多少钱？")
    assert answer.related and not answer.refused, answer.text
    rated = assistant.ask("宁陵县新认定的5A级物流企业奖励多少钱？")
    assert not rated.related and "50万元" in rated.text, rated.text


@pytest.mark.parametrize("clause, first, first_fact, follow_up, fact", [
    # "嗯那这个…" names nothing of its own: it asks about what the previous question did.
    ("二、对使用县内跨境电商平台出口且平台使用费超过5万元的企业，一次性给予平台使用费补贴3万元。",
     "宁陵县企业用跨境电商平台出口，平台使用费能补多少？", "3万元", "嗯那这个是每年都给，还是就给一回？", "一次性"),
    # 河南省100强 is a ranking, not a change of place.
    ("二、对首次入选世界500强、河南省100强的总部企业，分别扶持500万元、50万元。",
     "宁陵县总部企业第一次进世界500强，扶持多少？", "500万元", "那头一回进河南省100强的呢", "50万元"),
])
def test_a_follow_up_naming_no_new_subject_asks_of_the_previous_one(e5, tmp_path, clause, first, first_fact,
                                                                     follow_up, fact):
    assistant = assistant_on_one_policy(e5, tmp_path, clause)
    answer = assistant.ask(first)
    assert first_fact in answer.text, answer.text
    then = assistant.ask(follow_up, session_id=answer.session_id)
    assert "宁陵县" in then.standalone_question, then.standalone_question
    assert not then.refused and not then.related and fact in then.text, then.text


def test_a_neighbouring_sentence_in_the_documents_words_for_the_owners_is_quoted(e5, tmp_path):
    """不够 and 明年 are the owner's words for the clause's 不足 and 下一年度 (synonym list):
    the sentence saying them answers "明年还有戏吗"."""
    assistant = assistant_on_one_policy(
        e5, tmp_path, "二、县科技局根据专项资金年度预算，结合专家评审排名提出项目资金安排方案。"
                      "如遇当年专项资金预算不足，项目申报单位可在下一年度同等条件下优先享受专项资金。")
    answer = assistant.ask("宁陵县今年科技专项资金预算不够，我们项目没排上，明年还有戏吗？")
    assert not answer.refused and "下一年度同等条件下优先" in answer.text, answer.text


def test_a_misspelt_word_of_the_documents_is_read_as_they_write_it(assistant):
    # 质押 is no policy term of the synonym list: it is repaired because the clauses use it.
    answer = assistant.ask("郑州那个知识产权质压融资的培训，是哪个部门办的？")
    assert "质押" in answer.standalone_question and "质压" not in answer.standalone_question
    assert not answer.refused and any("质押" in c.text for c in answer.citations), answer.text


def test_a_documents_statement_of_aims_answers_for_its_aims_only(e5, tmp_path):
    assistant = assistant_on_policy(
        e5, tmp_path, "沁阳市冷链物流实施意见.txt",
        "沁阳市人民政府关于促进冷链物流业发展的实施意见\n"
        "一、总体要求\n"
        "（一）指导思想。深入贯彻新发展理念，支持绿色冷链物流发展，加强冷链物流短板领域建设，"
        "推动绿色冷链物流产业结构升级，提高冷链物流运行质量和效益，降低社会物流成本。\n"
        "（二）总体目标。到2025年，冷链物流业增加值占全市GDP比重达到5%，基本建成绿色环保、便捷高效的现代冷链物流体系。\n"
        "二、主要任务\n"
        "（一）推广绿色运输。支持冷链物流企业发展甩挂运输、共同配送等模式，减少返空运输；推广使用新能源冷藏车。\n"
        "（二）完善冷链设施。支持企业建设产地预冷设施和低温配送中心，提高冷链设施利用效率。\n",
    )
    ways = assistant.ask("沁阳支持绿色冷链物流发展有哪些措施")
    assert "甩挂运输" in ways.text and "新发展理念" not in ways.text, ways.text
    # Only the aims speak of upgrading: they may be related, they are no answer.
    upgrade = assistant.ask("沁阳推动冷链物流升级都有啥举措")
    assert upgrade.related and not upgrade.refused, upgrade.text
    aims = assistant.ask("沁阳冷链物流增加值占GDP比重的目标是多少？")
    assert "5%" in aims.text, aims.text


def test_asking_for_thresholds_lists_the_article_that_states_them_with_its_opening(kb_copy, tmp_path):
    policy = (
        "惠济区总部企业认定办法\n第一章 认定\n第一条 基础条件\n"
        "（一）注册登记、税务关系在惠济区。\n（二）具有独立法人资格、健全的财务制度。\n"
        "（三）具有经营决策、组织管理等总部管理职能。\n"
        "第二条 总部企业认定在满足第一条的同时，须满足以下条件之一：\n（一）年纳税额2000万元以上。\n"
        "（二）年营业收入1亿元以上。\n（三）年纳税额1000万元以上，且以科技研发为主导的企业。\n"
        "第三条 本办法自2024年1月1日起施行。\n"
    )
    assistant = assistant_with_huiji_policy(kb_copy, tmp_path, "huiji-hq-thresholds.txt", policy)
    listed = assistant.ask("惠济区认定总部企业，纳税、营收这些门坎都有哪些？")
    lines = listed.text.splitlines()
    assert lines[0].endswith("须满足以下条件之一："), listed.text
    assert [line[2:8] for line in lines[1:4]] == ["（一）年纳税", "（二）年营业", "（三）年纳税"], listed.text
