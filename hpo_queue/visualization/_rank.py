"""Rank plot: trials placed by their parameters, coloured by the rank of their value."""

from __future__ import annotations

from dataclasses import dataclass

from hpo_queue.visualization._slice import SliceData


@dataclass(frozen=True)
class RankData:
    """The slice data, plus each trial's rank: 0 for the lowest value, 1 for the highest.

    ``ranks[number]`` is ``rank / (n - 1)`` over the ``n`` trials plotted (ties share the
    lowest rank; 0.5 for a single trial), so colours compare across studies of any size.
    """

    slices: SliceData
    ranks: dict[int, float]
    values: dict[int, float]


def rank_data(data: SliceData) -> RankData:
    """Rank the trials of ``data`` by their plotted value."""
    values = {
        n: v for panel in data.panels for n, v in zip(panel.numbers, panel.values, strict=True)
    }
    ordered = sorted(values.values())
    first: dict[float, int] = {}
    for index, value in enumerate(ordered):
        first.setdefault(value, index)
    span = len(ordered) - 1
    ranks = {n: (first[v] / span if span > 0 else 0.5) for n, v in values.items()}
    return RankData(data, ranks, values)
