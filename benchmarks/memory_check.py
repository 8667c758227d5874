"""The memory check of deploy_benchmark.py: fabctl's peak RSS on the benchmark's workspace and on variants of it
that change one thing at a time, so that what grows with what can be read apart.

- definitions xS: the same items, every definition S times bigger (generate_workspace.py --scale);
- items xC: the same items C times over, renamed (--copies): the same definitions, C times as many items;
- both: C times as many items of S times bigger definitions.

A tool that held definitions per item would grow with items x definition size: its growth per added item would
be S times bigger among bigger definitions. One that holds only bookkeeping per item grows by the same amount
per added item whatever the definitions' size.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

from generate_workspace import GeneratedWorkspace, generate

KIB = 1024


@dataclass(frozen=True)
class Variant:
    name: str
    workspace: GeneratedWorkspace
    scale: int
    copies: int


@dataclass(frozen=True)
class MemoryCase:
    variant: Variant
    peaks_kib: tuple[int, ...]  # one per deploy of the variant

    @property
    def peak_rss_kib(self) -> float:
        return statistics.median(self.peaks_kib)

    @property
    def items(self) -> int:
        return len(self.variant.workspace.items)


def variants(workdir: Path, base: GeneratedWorkspace, items: int, seed: int, scale: int, copies: int) -> list[Variant]:
    """The base workspace and the three variants of it, generated under `workdir`."""

    def variant(name: str, s: int, c: int) -> Variant:
        root = workdir / f"memory-{items}-x{s}-copies{c}"
        return Variant(name, generate(root, items, seed, base.workspace_name, scale=s, copies=c), s, c)

    return [
        Variant("base", base, 1, 1),
        variant(f"definitions x{scale}", scale, 1),
        variant(f"items x{copies}", 1, copies),
        variant(f"items x{copies}, definitions x{scale}", scale, copies),
    ]


def report(cases: list[MemoryCase]) -> None:
    """The table and the growth figures; `cases` as `variants` returns them."""
    base, bigger, more, both = cases
    runs = len(base.peaks_kib)
    print(f"memory check: fabctl's peak RSS on a first deploy, changing one thing at a time (median of {runs} runs)")
    print(
        f"  {'workspace':<30} {'items':>5} {'total KiB':>9} {'largest KiB':>11} {'average KiB':>11} "
        f"{'peak RSS MiB':>12}  {'runs (min-max)':>14}"
    )
    for case in cases:
        ws = case.variant.workspace
        spread = f"{min(case.peaks_kib) / KIB:.1f}-{max(case.peaks_kib) / KIB:.1f}"
        print(
            f"  {case.variant.name:<30} {case.items:>5} {ws.total_definition_bytes / KIB:>9.0f} "
            f"{ws.largest_definition_bytes / KIB:>11.0f} {_average(ws) / KIB:>11.1f} {case.peak_rss_kib / KIB:>12.1f}"
            f"  {spread:>14}"
        )
    b, s = base.variant.workspace, bigger.variant.workspace
    largest_growth = s.largest_definition_bytes - b.largest_definition_bytes
    growth = (bigger.peak_rss_kib - base.peak_rss_kib) * KIB
    print(
        f"  definitions x{bigger.variant.scale}, same {base.items} items: largest definition "
        f"{largest_growth / KIB:+.0f} KiB -> peak RSS {growth / KIB / KIB:+.1f} MiB "
        f"= {growth / max(largest_growth, 1):.1f}x the largest definition's growth"
    )
    for little, big in ((base, more), (bigger, both)):
        added_items = big.items - little.items
        per_item = (big.peak_rss_kib - little.peak_rss_kib) / max(added_items, 1)
        print(
            f"  items x{big.variant.copies} at definitions x{little.variant.scale} ({little.items} -> {big.items}, "
            f"largest definition unchanged): peak RSS {(big.peak_rss_kib - little.peak_rss_kib) / KIB:+.1f} MiB "
            f"= {per_item:.1f} KiB per added item "
            f"(average definition {_average(little.variant.workspace) / KIB:.1f} KiB)"
        )
    at_one = (more.peak_rss_kib - base.peak_rss_kib) / max(more.items - base.items, 1)
    at_scale = (both.peak_rss_kib - bigger.peak_rss_kib) / max(both.items - bigger.items, 1)
    print(
        f"  per added item, definitions x{bigger.variant.scale} / x1: {at_scale:.1f} / {at_one:.1f} KiB "
        f"= {at_scale / at_one if at_one > 0 else float('inf'):.2f} (definitions held per item would make it "
        f"about {bigger.variant.scale})"
    )


def _average(workspace: GeneratedWorkspace) -> float:
    return workspace.total_definition_bytes / len(workspace.items)
