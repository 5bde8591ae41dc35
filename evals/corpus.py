"""Reading real files: per corpus, how many documents get each metadata field right
against a hand-written gold file, and how much of the text lands in clauses.

Corpora live in `evals/corpora/<name>/` with a `metadata.yaml` gold file; the bundled
policies are checked for coverage only (their metadata comes from sidecars).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml

from knowledge.errors import DocumentRejected
from knowledge.index import bundled_policies
from knowledge.loaders import SUPPORTED_EXTENSIONS, read_file
from knowledge.metadata import build_document, read_sidecar
from knowledge.outline import parse_clauses

FIELDS = ("title", "region", "level", "issuer", "date", "doc_number")


def corpora_folder() -> Path:
    return Path(str(resources.files("evals").joinpath("corpora")))


def corpus_report() -> dict[str, dict]:
    """{corpus: {"documents", "coverage", "metadata": {field: accuracy}, "wrong": [...]}}."""
    report = {"bundled": _coverage_only(bundled_policies())}
    for gold_file in sorted(corpora_folder().glob("*/metadata.yaml")):
        report[gold_file.parent.name] = _against_gold(gold_file)
    return report


def _against_gold(gold_file: Path) -> dict:
    gold = yaml.safe_load(gold_file.read_text(encoding="utf-8"))["documents"]
    right = dict.fromkeys(FIELDS, 0)
    wrong, covered, total = [], 0, 0
    for item in gold:
        try:
            document = build_document(read_file(gold_file.parent / item["file"]))
        except DocumentRejected as exc:
            wrong.append({"file": item["file"], "field": "file", "got": str(exc), "expected": ""})
            continue
        for name in FIELDS:
            if getattr(document, name) == item.get(name, ""):
                right[name] += 1
            else:
                wrong.append({"file": item["file"], "field": name, "got": getattr(document, name),
                              "expected": item.get(name, "")})
        inside, length = _coverage(document)
        covered, total = covered + inside, total + length
    return {
        "documents": len(gold),
        "coverage": round(covered / total, 4) if total else 0.0,
        "metadata": {name: round(right[name] / len(gold), 4) for name in FIELDS} if gold else {},
        "wrong": wrong,
    }


def _coverage_only(folder: Path) -> dict:
    covered = total = documents = 0
    for path in sorted(folder.iterdir()):
        if path.suffix not in SUPPORTED_EXTENSIONS:
            continue
        inside, length = _coverage(build_document(read_file(path), read_sidecar(path)))
        covered, total, documents = covered + inside, total + length, documents + 1
    return {"documents": documents, "coverage": round(covered / total, 4) if total else 0.0, "metadata": {}, "wrong": []}


def _coverage(document) -> tuple[int, int]:
    """(non-blank characters inside some clause, non-blank characters in the text)."""
    inside = [False] * len(document.text)
    for clause in parse_clauses(document):
        inside[clause.start:clause.end] = [True] * (clause.end - clause.start)
    pairs = [(ch, flag) for ch, flag in zip(document.text, inside) if not ch.isspace()]
    return sum(flag for _, flag in pairs), len(pairs)


def corpus_minimums(report: dict[str, dict]) -> dict[str, float]:
    """The worst corpus's figure for coverage and each metadata field, as metrics that
    thresholds can hold (`corpus_coverage`, `metadata_region`…)."""
    figures = {"corpus_coverage": min(c["coverage"] for c in report.values())}
    for name in FIELDS:
        values = [c["metadata"][name] for c in report.values() if c["metadata"]]
        if values:
            figures[f"metadata_{name}"] = min(values)
    return figures
