"""Small statistics shared by the eval, the bench and the latency script."""

from __future__ import annotations


def percentile(values: list[float], q: float) -> float:
    """The `q`-th percentile (0–100) by nearest rank; `values` must not be empty."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]
