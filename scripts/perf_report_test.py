#!/usr/bin/env python3
"""Tests of scripts/perf_report.py on small Google Benchmark JSON documents (CTest:
perf_report_test). Run: python3 scripts/perf_report_test.py"""
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import perf_report  # noqa: E402

H2 = next(h for h in perf_report.HEADLINES if h.key == "h2")


def iteration(name, rep, **counters):
    row = dict(name=name, run_name=name, run_type="iteration", repetition_index=rep,
               real_time=1.0, time_unit="ms")
    row.update(counters)
    return row


def aggregate(name, kind, **counters):
    row = dict(name=f"{name}_{kind}", run_name=name, run_type="aggregate", aggregate_name=kind,
               real_time=1.0, time_unit="ms")
    row.update(counters)
    return row


class RowsTest(unittest.TestCase):
    def test_single_runs_are_taken_as_they_are(self):
        run = {"benchmarks": [iteration("BM_Headline2_CrossChainStakes/users:1000/block:10",
                                        0, ratio=0.7, us_per_stake=100.0)]}
        rows = perf_report.rows_of(run)
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0]["ratio"], 0.7)
        self.assertEqual(perf_report.ratio_cell(rows[0], "ratio"), "**0.70**")

    def test_repeated_runs_show_the_median_and_the_range(self):
        name = "BM_Headline2_CrossChainStakes/users:1000/block:10"
        run = {"benchmarks": [
            iteration(name, 0, ratio=0.52, us_per_stake=130.0),
            iteration(name, 1, ratio=0.66, us_per_stake=95.0),
            iteration(name, 2, ratio=0.63, us_per_stake=101.0),
            aggregate(name, "mean", ratio=0.60, us_per_stake=108.7),
            aggregate(name, "median", ratio=0.63, us_per_stake=101.0),
        ]}
        rows = perf_report.rows_of(run)
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0]["ratio"], 0.63)
        self.assertEqual(rows[0]["reps"]["ratio"], [0.52, 0.66, 0.63])
        self.assertEqual(perf_report.ratio_cell(rows[0], "ratio"), "**0.63** (0.52–0.66)")
        self.assertTrue(perf_report.passes(H2, rows[0]))

    def test_the_memory_target_judges_from_ten_thousand_users(self):
        mem = next(h for h in perf_report.HEADLINES if h.key == "memory")
        def row(users, hwm):
            return dict(name=f"BM_MemoryPerCrossDelegation/users:{users}", args={"users": users},
                        bytes_per_cross_delegation_hwm=hwm)
        self.assertEqual(perf_report.passes(mem, row(2000, 1874.0)), perf_report.NOT_JUDGED)
        self.assertTrue(perf_report.passes(mem, row(1000000, 24.5)))
        self.assertFalse(perf_report.passes(mem, row(1000000, 257.0)))
        self.assertIsNone(perf_report.passes(mem, dict(name="x", args={"users": 100000})))
        table = "\n".join(perf_report.table(mem, [row(2000, 1874.0), row(1000000, 300.0)]))
        self.assertIn("| not judged |", table)
        self.assertIn("| **fail** |", table)

    def test_cost_vs_1k_compares_the_rows_shown_at_the_same_block_size(self):
        rows = [dict(name="a", args={"users": 1000, "block": 10}, us_per_stake=100.0),
                dict(name="b", args={"users": 1000, "block": 100}, us_per_stake=80.0),
                dict(name="c", args={"users": 100000, "block": 10}, us_per_stake=125.0,
                     cost_vs_1k=9.0),
                dict(name="d", args={"users": 100000, "block": 100}, us_per_stake=120.0)]
        perf_report.with_cost_vs_1k(H2, rows)
        self.assertNotIn("cost_vs_1k", rows[0])
        self.assertAlmostEqual(rows[2]["cost_vs_1k"], 1.25)
        self.assertAlmostEqual(rows[3]["cost_vs_1k"], 1.5)

    def test_the_report_writes_the_range_into_the_generated_part_only(self):
        name = "BM_Headline2_CrossChainStakes/users:1000/block:10"
        merged = {"machine": dict(commit="abc", date="today", mode="full", cpu="cpu", cores=2,
                                  ram_gb=1, kernel="k", os="", load="0", large=False),
                  "runs": {"h2": {"benchmarks": [
                      iteration(name, 0, ratio=0.5, stakes_per_s=1.0, us_per_stake=1.0),
                      iteration(name, 1, ratio=0.7, stakes_per_s=1.0, us_per_stake=1.0),
                      aggregate(name, "median", ratio=0.6, stakes_per_s=1.0,
                                us_per_stake=1.0)]}}}
        with tempfile.TemporaryDirectory() as d:
            results = os.path.join(d, "results.json")
            with open(results, "w") as f:
                json.dump(merged, f)
            md = os.path.join(d, "perf.md")
            with open(md, "w") as f:
                f.write("hand-written top\n" + perf_report.BEGIN + "\nold\n" + perf_report.END
                        + "\nhand-written bottom\n")
            perf_report.cmd_report(results, md, os.path.join(d, "png"))
            text = open(md).read()
        self.assertIn("**0.60** (0.50–0.70)", text)
        self.assertIn("medians of the runs", text)
        self.assertTrue(text.startswith("hand-written top\n"))
        self.assertTrue(text.endswith("hand-written bottom\n"))
        self.assertNotIn("\nold\n", text)


if __name__ == "__main__":
    unittest.main()
