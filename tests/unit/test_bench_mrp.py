"""The MRP benchmark's own parts work (untimed): a tiny generated case has five levels, the
engine plans it the same twice, and the naive baseline ends with the engine's planned orders; in
the database mode, the case seeded in bulk loads back as it was, and the baseline from the
database ends with ``run_mrp``'s planned orders."""

from __future__ import annotations

import dataclasses

import pytest

from bench import mrp
from domain.erp.planning import load_inputs
from domain.shared.db import open_database


def test_a_tiny_run_has_every_figure_and_the_baseline_plans_what_the_engine_plans() -> None:
    result = mrp.run(parts=60, needs=150, receipts=10, repeat=1, baseline=True)
    assert result["levels"] == 5
    assert result["same_plan_twice"] is True
    assert result["naive_same_orders"] is True
    assert result["planned_orders"] == result["naive_orders"] > 0
    assert {"engine_s", "engine_cpu_s", "naive_s", "naive_cpu_s", "ratio"} <= set(result)
    assert "| naive / `plan()` (CPU) |" in mrp.table(result)


def test_the_generated_boms_share_parts_across_levels_and_top_level_needs() -> None:
    case = mrp.generate(parts=100, needs=40, receipts=5)
    top = {p.id for p in case.parts[:10]}
    assert {n.part_id for n in case.needs} <= top
    assert {p.make for p in case.parts[-30:]} == {False}  # the last level is bought
    parents: dict[int, set[int]] = {}
    for usage in case.usages:
        parents.setdefault(usage.component_id, set()).add(usage.parent_id)
    levels = mrp._levels(100)
    level_of = {p: depth for depth, level in enumerate(levels) for p in level}
    assert any(len({level_of[p] for p in ps}) > 1 for ps in parents.values())


def test_quick_means_a_tenth() -> None:
    assert (mrp.parse_args(["--quick"]).parts, mrp.parse_args(["--quick"]).needs) == (1000, 5000)
    assert (mrp.parse_args([]).parts, mrp.parse_args([]).needs) == (10_000, 50_000)
    assert (mrp.parse_args([]).db, mrp.parse_args(["--db", "postgresql"]).db) == (
        None,
        "postgresql",
    )


async def test_a_tiny_case_seeded_in_bulk_loads_back_and_both_runs_plan_the_same(
    db_url: str,
) -> None:
    case = mrp.generate(parts=60, needs=150, receipts=10)
    db = open_database(db_url)
    try:
        ids, _seconds = await mrp.seed(db, case)
        figures = await mrp.measure(db, case, ids, repeat=1, baseline=True)
        inputs = await db.run(lambda s: load_inputs(s, mrp.TODAY, mrp.CALENDAR))
    finally:
        await db.dispose()
    assert figures["levels"] == 5
    assert figures["naive_same_orders"] is True
    assert figures["planned_orders"] == figures["naive_orders"] > 0
    assert {"load_s", "run_mrp_s", "run_mrp_cpu_s", "naive_s", "ratio"} <= set(figures)
    heavier = [dataclasses.replace(u, per_unit=u.per_unit * 2) for u in inputs.usages[:1]]
    with pytest.raises(SystemExit, match="BOM lines"):  # as if another version were loaded
        mrp.check_loaded(case, dataclasses.replace(inputs, usages=heavier + inputs.usages[1:]), ids)
    result = {"db": "sqlite", "parts": 60, "usages": len(case.usages), "needs": 150}
    result |= {"receipts": 10, "seed_s": 0.1, "loaded_as_seeded": True, **figures}
    assert "| naive / `run_mrp` (wall) |" in mrp.db_table(result)
