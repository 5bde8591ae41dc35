"""政策直达 eval: benefit items extracted from the bundled and Liaoning documents against
items written by hand (evals/gold_benefits.yaml), and enterprise profiles matched
against the items each should get.

Items are judged on the clauses the gold file covers (those with items and those listed
as granting nothing), so an item the rules find elsewhere is neither credited nor held
against them. An extracted item is right when it is on the same clause as a gold item
and its figure is exact (amount, rate and cap where the gold item has them); "with who"
also asks the same recipients (gold names mapped to the vocabulary's canonical ones where
it has them). Whole documents are split fit/heldout: rules are written
looking at fit documents only.

    python -m evals.benefits            # the table
    python -m evals.benefits --misses   # and what was missed or wrong, fit split only
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

from assistant.direct import checked_profile, match, profile_from_text
from assistant.errors import InvalidRequest
from evals.corpus import corpora_folder
from knowledge.benefits import BenefitItem, BenefitRecord, document_benefits, terms
from knowledge.index import bundled_policies
from knowledge.loaders import read_file
from knowledge.metadata import build_document, read_sidecar
from knowledge.outline import parse_clauses

GOLD_FILE = Path(__file__).with_name("gold_benefits.yaml")
SPLITS = ("fit", "heldout")
FRESH = "unseen"
"""Profiles written afresh from the gold items' own fields, never with huiqi's output in
view: judged on every document, as an owner's list is."""
MISSES_SPLIT = "fit"


@dataclass(frozen=True)
class _Document:
    """What matching reads of a document (the registry's StoredDocument has the same)."""

    doc_id: str
    title: str
    region: str
    date: str
    validity: str
    doc_number: str = ""
    issuer: str = ""


def corpus_records() -> list[BenefitRecord]:
    """Items of every bundled and Liaoning document, extracted as ingest does."""
    records = []
    for folder in (bundled_policies(), corpora_folder() / "liaoning"):
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() not in (".txt", ".docx", ".pdf", ".html", ".htm"):
                continue
            document = build_document(read_file(path), read_sidecar(path))
            stored = _Document(document.doc_id, document.title, document.region, document.date, document.validity,
                               document.doc_number, document.issuer)
            clauses = parse_clauses(document)
            for clause, items in zip(clauses, document_benefits(clauses, document)):
                records += [BenefitRecord(item, clause, stored) for item in items]
    return records


def _same_figure(gold: dict, item: BenefitItem) -> bool:
    for key in ("amount_yuan", "rate", "cap_yuan"):
        if key in gold and gold[key] is not None:
            value = getattr(item, key)
            if value is None or abs(float(value) - float(gold[key])) > 1e-6:
                return False
    return any(gold.get(k) is not None for k in ("amount_yuan", "rate", "cap_yuan")) or not (
        item.amount_yuan or item.rate or item.cap_yuan
    )


def _canonical_who(names) -> set[str]:
    """Gold recipients in the extractor's canonical names where it has one (民办非营利性养老机构
    → 养老机构; 外资研发中心 → 外资企业 + 研发中心), else as written: a recipient the
    vocabulary lacks can never be matched."""
    vocabulary = terms()
    found: set[str] = set()
    for name in names or ():
        found |= set(vocabulary.who_in(name)) or {name}
    return found


def _kinds(names: set[str]) -> frozenset[str]:
    """Recipients as matching reads them: the enterprises of one industry (集成电路企业,
    融资租赁企业) limit an item to that industry, which its `industry` judges; the rest are
    kinds the enterprise must be."""
    vocabulary = terms()
    return frozenset(n for n in names if not (n.endswith(("企业", "公司")) and vocabulary.industry_in(n)))


def _same_who(gold: dict, item: BenefitItem) -> bool:
    return _kinds(_canonical_who(gold.get("who"))) == _kinds(set(item.who))


def _shared_words(gold: dict, item: BenefitItem) -> float:
    """Share of the shorter quote's character pairs found in the longer."""
    ours, theirs = _bare(item.quote), _bare(gold.get("quote", ""))
    shorter, longer = sorted((ours, theirs), key=len)
    pairs = {shorter[i:i + 2] for i in range(len(shorter) - 1)}
    return sum(1 for pair in pairs if pair in longer) / len(pairs) if pairs else 0.0


def _same_words(gold: dict, item: BenefitItem) -> bool:
    """A grant without a figure is the gold one when it quotes the same words: most of the
    shorter quote lies in the longer (without it, figure-less items pair in any order)."""
    if any(gold.get(k) is not None for k in ("amount_yuan", "rate", "cap_yuan")):
        return True
    return _shared_words(gold, item) >= 0.6


def _bare(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


def _pairs(gold_items: list[dict], items: list[BenefitItem], with_who: bool) -> list[tuple[dict, BenefitItem]]:
    """Gold and extracted items of one clause paired one to one, figure (and who) equal;
    figure-less ones by their words."""
    pairs, free = [], list(items)
    for gold in gold_items:
        fitting = [item for item in free if _same_figure(gold, item) and _same_words(gold, item) and (
            not with_who or _same_who(gold, item))]
        if fitting:  # the one quoting most of its words (对非营利性… and 对营利性… read alike)
            best = max(fitting, key=lambda item: _shared_words(gold, item))
            pairs.append((gold, best))
            free.remove(best)
    return pairs


def evaluate_benefits(gold_file: Path = GOLD_FILE, misses: bool = False) -> dict:
    gold = yaml.safe_load(gold_file.read_text(encoding="utf-8"))
    records = corpus_records()
    by_clause: dict[str, list[BenefitItem]] = defaultdict(list)
    for record in records:
        by_clause[record.item.clause_id].append(record.item)
    gold_by_clause: dict[str, list[dict]] = defaultdict(list)
    split_of_doc: dict[str, str] = {}
    for item in gold["items"]:
        gold_by_clause[item["clause"]].append(item)
        split_of_doc[item["doc"]] = item["split"]
    split_of_doc.update(gold.get("splits") or {})
    split_of_clause = {c: items[0]["split"] for c, items in gold_by_clause.items()}
    for clause_id in gold.get("no_items") or []:
        split_of_clause.setdefault(clause_id, split_of_doc[clause_id.split(":", 1)[0]])

    report: dict = {"extraction": {}, "matching": {}, "misses": []}
    item_key: dict[int, str] = {}
    for split in SPLITS:
        clauses = [c for c, s in split_of_clause.items() if s == split]
        counts = {"gold": 0, "extracted": 0, "figure": 0, "figure_who": 0}
        for clause_id in clauses:
            golds, items = gold_by_clause.get(clause_id, []), by_clause.get(clause_id, [])
            counts["gold"] += len(golds)
            counts["extracted"] += len(items)
            figure_pairs = _pairs(golds, items, with_who=False)
            counts["figure"] += len(figure_pairs)
            counts["figure_who"] += len(_pairs(golds, items, with_who=True))
            for g, item in figure_pairs:
                item_key[id(item)] = g["id"]
            if misses and split == MISSES_SPLIT:
                paired = {id(i) for _, i in figure_pairs}
                for g in golds:
                    if g not in [p[0] for p in figure_pairs]:
                        report["misses"].append({"missed": g["id"], "clause": clause_id, "quote": g["quote"][:60]})
                for item in items:
                    if id(item) not in paired:
                        report["misses"].append({"wrong": clause_id, "item": _short(item)})
        report["extraction"][split] = {
            **counts,
            "precision": _ratio(counts["figure_who"], counts["extracted"]),
            "recall": _ratio(counts["figure_who"], counts["gold"]),
            "figure_precision": _ratio(counts["figure"], counts["extracted"]),
            "figure_recall": _ratio(counts["figure"], counts["gold"]),
        }

    for split in (*SPLITS, FRESH):
        # A profile is judged on its split's documents: the gold profiles expect items of
        # their own split only, and a fit profile must not score on held-out documents.
        judged = [r for r in records if split_of_clause.get(r.item.clause_id) == split
                  or (split == FRESH and r.item.clause_id in split_of_clause)]
        found = expected = right = found_sure = right_sure = 0
        for profile_gold in (p for p in gold.get("profiles") or [] if p["split"] == split):
            profile, assumed = _profile(profile_gold)
            got, sure = set(), set()
            if profile is not None:
                result = match(judged, profile, assumed)
                got = {_judged_key(m.item, item_key) for m in (*result.items, *result.unsure)}
                sure = {_judged_key(m.item, item_key) for m in result.items}
            want = set(profile_gold.get("expect") or [])
            found, expected, right = found + len(got), expected + len(want), right + len(got & want)
            found_sure, right_sure = found_sure + len(sure), right_sure + len(sure & want)
            if misses and split == MISSES_SPLIT and got != want:
                report["misses"].append({"profile": profile_gold["id"], "extra": sorted(got - want),
                                         "missing": sorted(want - got)})
        # What the page lists as 可能适用, the items to confirm (需确认) left out.
        report["matching"][split] = {"precision": _ratio(right, found), "recall": _ratio(right, expected),
                                     "returned": found, "expected": expected,
                                     "match_precision": _ratio(right_sure, found_sure),
                                     "match_recall": _ratio(right_sure, expected)}
    return report


def _judged_key(item: BenefitItem, item_key: dict[int, str]) -> str:
    """The gold id an item was paired with, else a key of its own: two unpaired items of
    one clause are two wrong cards on the page, not one."""
    return item_key.get(id(item)) or f"?{item.clause_id}·{item.benefit}·{'/'.join(item.who)}·{item.quote}"


def benefit_metrics(report: dict) -> dict[str, float]:
    """The figures `huiqi eval` reports and thresholds.toml guards, per split."""
    metrics = {}
    for split in SPLITS:
        extraction, matching = report["extraction"][split], report["matching"][split]
        metrics[f"benefit_precision_{split}"] = extraction["precision"]
        metrics[f"benefit_recall_{split}"] = extraction["recall"]
        metrics[f"benefit_figure_precision_{split}"] = extraction["figure_precision"]
        metrics[f"benefit_figure_recall_{split}"] = extraction["figure_recall"]
        metrics[f"profile_match_precision_{split}"] = matching["precision"]
        metrics[f"profile_match_recall_{split}"] = matching["recall"]
    if report["matching"][FRESH]["expected"]:
        metrics[f"profile_match_precision_{FRESH}"] = report["matching"][FRESH]["precision"]
        metrics[f"profile_match_recall_{FRESH}"] = report["matching"][FRESH]["recall"]
    return metrics


def _profile(gold: dict):
    if gold.get("question"):
        profile, assumed = profile_from_text(gold["question"])
        if profile is not None:
            return profile, assumed
    try:
        return checked_profile(gold["region"], gold.get("industry") or "", gold.get("size") or "", gold.get("titles") or [])
    except InvalidRequest:
        return None, ()  # the page says it cannot read the place: nothing listed


def _short(item: BenefitItem) -> str:
    return f"{item.benefit} amount={item.amount_yuan} rate={item.rate} cap={item.cap_yuan} who={list(item.who)} «{item.quote[:40]}»"


def _ratio(a: int, b: int) -> float:
    return round(a / b, 3) if b else 0.0


def summary(report: dict) -> str:
    lines = ["政策直达            抽取 精确率 / 召回率（金额+对象）   （仅金额）        匹配 精确率 / 召回率（不含需确认）"]
    for split in SPLITS:
        e, m = report["extraction"][split], report["matching"][split]
        lines.append(
            f"  {split:<8} {e['precision']:.3f} / {e['recall']:.3f}（{e['figure_who']}/{e['extracted']}，{e['gold']} 条标注）"
            f"   {e['figure_precision']:.3f} / {e['figure_recall']:.3f}      {m['precision']:.3f} / {m['recall']:.3f}"
            f"（{m['match_precision']:.3f} / {m['match_recall']:.3f}）"
        )
    fresh = report["matching"][FRESH]
    if fresh["expected"]:
        lines.append(f"  {FRESH:<8} （新写的企业画像，全部文件）{'':<30}{fresh['precision']:.3f} / {fresh['recall']:.3f}"
                     f"（{fresh['match_precision']:.3f} / {fresh['match_recall']:.3f}）")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list misses on the fit split")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = evaluate_benefits(misses=args.misses)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    print(summary(report))
    for miss in report["misses"]:
        print("  ", miss)


if __name__ == "__main__":
    main()
