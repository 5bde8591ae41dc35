"""Fit and measure the curated-answer matcher on evals/gold_curated.yaml.

    python -m evals.curated            # figures only
    python -m evals.curated --write    # also store the fitted threshold

Every gold entry is published as a curated answer; each `same` question should be
served its own entry, each `different` question none. The similarity threshold is
chosen on the fit entries (the lowest one whose precision there is at least
TARGET_PRECISION, so recall is as high as that allows) and the figures are reported on
the held-out entries, which the choice never saw.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import numpy as np
import yaml

from assistant.curated import CuratedAnswer, best_match
from knowledge.embeddings import E5SmallEmbedder

TARGET_PRECISION = 0.95
THRESHOLDS = [round(0.85 + 0.0025 * i, 4) for i in range(57)]
GOLD = Path(__file__).with_name("gold_curated.yaml")


@dataclass(frozen=True)
class Probe:
    question: str
    expected: int | None
    """The entry it should be served, None when no entry."""
    split: str


def load(path: Path = GOLD) -> tuple[list[dict], list[Probe]]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    probes = []
    for index, entry in enumerate(entries):
        probes += [Probe(q, index, entry["split"]) for q in entry["same"]]
        probes += [Probe(q, None, entry["split"]) for q in entry["different"]]
    return entries, probes


def figures(entries: list[dict], probes: list[Probe], embed, ask_check: bool = True) -> dict:
    """Precision and recall per split and threshold."""
    now = datetime.now(UTC)
    wordings = [(entry["question"], *entry.get("alternatives", [])) for entry in entries]
    flat = [w for group in wordings for w in group]
    vectors = _normalized(embed(flat))
    table, at = [], 0
    for index, group in enumerate(wordings):
        answer = CuratedAnswer(index, group[0], tuple(group[1:]), "", "", "", (), None, now, now)
        table.append((answer, vectors[at:at + len(group)], group if ask_check else tuple("" for _ in group)))
        at += len(group)
    probe_vectors = _normalized(embed([p.question for p in probes]))
    result: dict[str, dict[float, dict]] = {}
    for split in ("fit", "heldout"):
        result[split] = {}
        chosen = [(p, v) for p, v in zip(probes, probe_vectors) if p.split == split]
        for threshold in THRESHOLDS:
            served = right = 0
            for probe, vector in chosen:
                match = best_match(probe.question if ask_check else "", vector, table, lambda _: True, threshold)
                if match is not None:
                    served += 1
                    right += match.answer.id == probe.expected
            same = sum(p.expected is not None for p, _ in chosen)
            result[split][threshold] = {
                "precision": right / served if served else 1.0, "recall": right / same if same else 0.0,
                "served": served, "questions": len(chosen),
            }
    return result


def choose(fit: dict[float, dict]) -> float:
    good = [t for t, f in fit.items() if f["precision"] >= TARGET_PRECISION and f["served"]]
    if good:
        return min(good)
    return max(fit, key=lambda t: (fit[t]["precision"], fit[t]["recall"]))


def main() -> None:
    parser = argparse.ArgumentParser(description="问答对匹配：拟合阈值并报告留出集上的精确率与召回率")
    parser.add_argument("--write", action="store_true", help="把阈值写入 assistant/curated_calibration.json")
    args = parser.parse_args()
    embedder = E5SmallEmbedder()
    embedder.warm_up()
    entries, probes = load()
    report = {}
    for name, ask_check in (("dense + ask check", True), ("dense only", False)):
        result = figures(entries, probes, embedder.embed_queries, ask_check)
        threshold = choose(result["fit"])
        report[name] = {"threshold": threshold, "fit": result["fit"][threshold], "heldout": result["heldout"][threshold]}
        print(f"{name}: threshold {threshold:.4f}")
        for split in ("fit", "heldout"):
            f = result[split][threshold]
            print(f"  {split:8s} precision {f['precision']:.3f}  recall {f['recall']:.3f}  "
                  f"served {f['served']} of {f['questions']} questions")
    if args.write:
        chosen = report["dense + ask check"]
        target = Path(str(resources.files("assistant").joinpath("curated_calibration.json")))
        target.write_text(json.dumps({
            "threshold": chosen["threshold"], "target_precision": TARGET_PRECISION,
            "fit": _rounded(chosen["fit"]), "heldout": _rounded(chosen["heldout"]),
        }, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {target}")


def _normalized(vectors) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True).clip(min=1e-9)


def _rounded(figures: dict) -> dict:
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}


if __name__ == "__main__":
    main()
