#!/usr/bin/env python3
"""The headline benchmark set and the docs/perf.md generator (used by scripts/bench.sh).

  perf_report.py runs                       one line per benchmark run: key binary filter
                                            repetitions title
  perf_report.py merge OUT.json DIR         DIR/<key>.json (Google Benchmark JSON) + machine info
  perf_report.py report RESULTS.json MD PNG_DIR
                                            rewrites the generated part of MD, plots into PNG_DIR

A new benchmark is ONE entry in HEADLINES below: its binary and filter (what bench.sh runs), the
counters that make its table (figure, ceiling, ratio), the target as a Python expression over the
counters and the benchmark's argument names, and its plots. A benchmark absent from the build or
the run is listed as "not measured" and its plots are skipped.

docs/perf.md: only the text between the GENERATED markers is rewritten; everything outside them
(hand-written sections) is kept as it is.
"""
import json
import os
import platform
import re
import subprocess
import sys
from collections import OrderedDict, namedtuple

Plot = namedtuple("Plot", "file title x ys series xlabel ylabel logx logy hline")
Headline = namedtuple(
    "Headline",
    "key binary filter title figure ceiling ratio unit target target_text extra plots repetitions",
    defaults=(3,))


def plot(file, title, x, ys, series=None, xlabel=None, ylabel="", logx=True, logy=False,
         hline=None):
    """hline: (value, label) drawn as a target line."""
    return Plot(file, title, x, ys, series, xlabel or x, ylabel, logx, logy, hline)


HEADLINES = [
    Headline("h1", "mesh_bench", "^BM_Headline1_SignedDelegations/",
             "Headline 1: signed delegations applied and committed per second (RocksDB)",
             "items_per_second", "ceiling_per_s", "ratio", "delegations/s",
             "ratio >= 0.60", "≥ 0.60",
             ["verify_per_s", "write_per_s"],
             [plot("h1_vs_block.png", "Headline 1: delegations/s vs block size", "block",
                   ["items_per_second", "ceiling_per_s"], series="users",
                   xlabel="txs per block", ylabel="delegations / s"),
              plot("h1_vs_users.png", "Headline 1: delegations/s vs existing delegators", "users",
                   ["items_per_second"], series="block", xlabel="existing delegators",
                   ylabel="delegations / s")]),
    Headline("h2", "mesh_bench", "^BM_Headline2",
             "Headline 2: cross-chain delegations per second end to end",
             "stakes_per_s", "ceiling_per_s", "ratio", "stakes/s",
             "ratio >= 0.60", "≥ 0.60 (and us_per_stake at 10⁵ ≤ 1.3× 10³)",
             ["us_per_stake", "cost_vs_1k", "verify_per_s", "write_per_s", "cpu_cores",
              "verified_ahead"],
             [plot("h2_vs_users.png", "Headline 2: cross-chain stakes/s vs users", "users",
                   ["stakes_per_s", "ceiling_per_s"], series="block", xlabel="users",
                   ylabel="stakes / s"),
              plot("h2_vs_block.png", "Headline 2: cross-chain stakes/s vs block size", "block",
                   ["stakes_per_s", "ceiling_per_s"], series="users", xlabel="stakes per block",
                   ylabel="stakes / s")]),
    Headline("h3", "query_bench", "^BM_Headline3_Query/",
             "Headline 3: gRPC delegation queries per second while blocks are produced",
             "qps", "echo_qps", "ratio", "queries/s",
             "ratio >= 0.80 and (inflight != 64 or p99_us < 5000) and errors == 0",
             "≥ 0.80; p99 < 5 ms at 64",
             ["p50_us", "p99_us", "echo_p50_us", "echo_p99_us", "cpu_us_per_query", "cpu_us_per_echo", "blocks_per_s",
              "blocks_per_s_idle", "produce_ms_p50", "produce_ms_p50_idle", "produce_ms_max"],
             [plot("h3_latency.png", "Headline 3: query latency vs calls in flight", "inflight",
                   ["p50_us", "p99_us", "echo_p99_us"], series="method",
                   xlabel="calls in flight", ylabel="latency (µs)", logy=True,
                   hline=(5000, "target p99 at 64 in flight: 5 ms")),
              plot("h3_qps.png", "Headline 3: queries/s vs calls in flight (echo = ceiling)",
                   "inflight", ["qps", "echo_qps"], series="method", xlabel="calls in flight",
                   ylabel="calls / s")]),
    Headline("slash", "mesh_bench", "^BM_SlashCrossDelegators",
             "Slashing a validator with N cross-delegators",
             "users_per_s_provider", "ceiling_users_per_s_provider", "ratio_provider",
             "affected users/s (provider)",
             "min(users_per_s_consumer, users_per_s_provider) >= 500000",
             "≥ 500 000/s on each chain; packets per slash independent of N",
             ["users_per_s_consumer", "ceiling_users_per_s_consumer", "ratio_consumer",
              "consumer_ms", "provider_ms", "provider_keys_per_user", "provider_bytes_per_user",
              "consumer_keys_per_user", "consumer_bytes_per_user", "packets"],
             [plot("slash_vs_n.png", "Slash time vs N cross-delegators", "users",
                   ["consumer_ms", "provider_ms"], xlabel="N cross-delegators",
                   ylabel="CPU ms per slash", logy=True),
              plot("slash_rate_vs_n.png",
                   "Slashing: users/s vs N (ceilings: each chain's records read + its batch written)",
                   "users", ["users_per_s_provider", "ceiling_users_per_s_provider",
                             "users_per_s_consumer", "ceiling_users_per_s_consumer"],
                   xlabel="N cross-delegators", ylabel="users / s", logy=True,
                   hline=(500000, "target: 500 000 users/s"))],
             # Each case builds its N users anew (minutes at 10^6) and times one slash.
             repetitions=1),
    Headline("slash_shared", "mesh_bench", "^BM_SlashSharedCollateral/",
             "Slashing cross-delegators whose collateral backs a local stake too",
             "users_per_s_provider", "ceiling_users_per_s_provider", "ratio_provider",
             "affected users/s (provider)",
             "min(users_per_s_consumer, users_per_s_provider) >= 500000",
             "≥ 500 000/s on each chain (propagating: 1 = every cut clips the local lien)",
             ["users_per_s_consumer", "consumer_ms", "provider_ms", "provider_keys_per_user",
              "packets"],
             [plot("slash_shared_vs_n.png",
                   "Slashing users with a local stake too: users/s vs N", "users",
                   ["users_per_s_provider", "ceiling_users_per_s_provider"],
                   series="propagating", xlabel="N cross-delegators", ylabel="users / s",
                   logy=True, hline=(500000, "target: 500 000 users/s"))],
             repetitions=1),
    Headline("memory", "memory_bench", "^BM_MemoryPerCrossDelegation/",
             "Memory: resident bytes per cross-delegation of a process that opens the state",
             "bytes_per_cross_delegation_hwm", None, None, "bytes per cross-delegation (VmHWM)",
             # N = 2000 is the smoke size: the process's own noise over few users, not judged.
             "None if users < 10000 else bytes_per_cross_delegation_hwm <= 256",
             "≤ 256 B (judged from N = 10⁴)",
             ["bytes_per_cross_delegation_rss", "empty_hwm_mib", "full_hwm_mib", "build_s"],
             [plot("memory_vs_n.png", "Resident bytes per cross-delegation vs N", "users",
                   ["bytes_per_cross_delegation_hwm", "bytes_per_cross_delegation_rss"],
                   xlabel="N cross-delegations", ylabel="bytes / cross-delegation", logy=True,
                   hline=(256, "target: 256 B"))],
             # Each case builds its states anew; the figure is memory, not a rate.
             repetitions=1),
]

METHOD_NAMES = {"h3": {"method": {0: "Delegation", 1: "DelegatorDelegations",
                                   2: "ValidatorDelegations"}}}


# ---- runs and merge --------------------------------------------------------------------------

def cmd_runs():
    for h in HEADLINES:
        print(h.key, h.binary, h.filter, h.repetitions, h.title.split(":")[0], sep="\t")


def sh(cmd):
    try:
        return subprocess.check_output(cmd, shell=True, text=True, stderr=subprocess.DEVNULL).strip()
    except subprocess.CalledProcessError:
        return ""


def machine():
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = 0.0
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem_gb = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    commit = sh("git rev-parse --short HEAD")
    if sh("git status --porcelain --untracked-files=no"):
        commit += " (with uncommitted changes)"
    return OrderedDict(cpu=cpu, cores=os.cpu_count(), ram_gb=round(mem_gb, 1),
                       kernel=platform.release(), os=sh(". /etc/os-release && echo $PRETTY_NAME"),
                       load=" ".join(f"{x:.1f}" for x in os.getloadavg()),
                       commit=commit, date=sh("date -u '+%Y-%m-%d %H:%M UTC'"),
                       large=os.environ.get("MESH_BENCH_LARGE") == "1",
                       mode=os.environ.get("MESH_BENCH_MODE", "full"))


def cmd_merge(out, directory):
    merged = OrderedDict(machine=machine(), runs=OrderedDict())
    for h in HEADLINES:
        path = os.path.join(directory, h.key + ".json")
        if os.path.exists(path) and os.path.getsize(path) > 0:
            with open(path) as f:
                merged["runs"][h.key] = json.load(f)
    with open(out, "w") as f:
        json.dump(merged, f, indent=1)


# ---- report ------------------------------------------------------------------------------------

def parse_args(name):
    """'BM_X/users:1000/block:10/real_time' -> {'users': 1000, 'block': 10}; bare /N -> arg0."""
    args = OrderedDict()
    for i, part in enumerate(name.split("/")[1:]):
        if part in ("real_time", "manual_time") or part.startswith(("min_time", "repeats",
                                                                      "iterations:")):
            continue
        m = re.fullmatch(r"([A-Za-z_]\w*):(-?\d+)", part)
        if m:
            args[m.group(1)] = int(m.group(2))
        elif re.fullmatch(r"-?\d+", part):
            args[f"arg{len(args)}"] = int(part)
    return args


def rows_of(run):
    """Median rows when repetitions were run, else the iteration rows; counters flattened.

    A median row also gets, per counter, the list of the repetitions' values (`reps`: counter ->
    values in run order), so that tables can show the spread beside the median."""
    benches = run.get("benchmarks", [])
    medians = [b for b in benches if b.get("aggregate_name") == "median"]
    iterations = [b for b in benches if b.get("run_type", "iteration") == "iteration"]
    chosen = medians or iterations
    reps = {}
    if medians:
        for b in iterations:
            if b.get("error_occurred"):
                continue
            per = reps.setdefault(b.get("run_name", b["name"]), {})
            for k, v in b.items():
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    per.setdefault(k, []).append(float(v))
    rows = []
    for b in chosen:
        if b.get("error_occurred"):
            rows.append(dict(name=b.get("run_name", b["name"]), error=b.get("error_message", "")))
            continue
        name = b.get("run_name", b["name"])
        row = dict(name=name, args=parse_args(name), reps=reps.get(name, {}))
        for k, v in b.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                row[k] = float(v)
        if b.get("time_unit") == "ns":
            row["real_time"] = row.get("real_time", 0) / 1e6
        elif b.get("time_unit") == "us":
            row["real_time"] = row.get("real_time", 0) / 1e3
        elif b.get("time_unit") == "s":
            row["real_time"] = row.get("real_time", 0) * 1e3
        rows.append(row)
    return rows


def fmt(v):
    if v is None:
        return "—"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}".replace(",", " ")
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def label_args(h, args):
    names = METHOD_NAMES.get(h.key, {})
    parts = []
    for k, v in args.items():
        parts.append(f"{k}={names[k].get(v, v)}" if k in names else f"{k}={v}")
    return ", ".join(parts)


NOT_JUDGED = "not judged"


def passes(h, row):
    """True or False; NOT_JUDGED when the target expression gives None (a case the target does
    not cover, e.g. a smoke size); None when it cannot be evaluated (a counter is missing)."""
    env = dict(row.get("args", {}))
    env.update({k: v for k, v in row.items() if isinstance(v, float)})
    try:
        v = eval(h.target, {"__builtins__": {}, "min": min, "max": max}, env)  # table-owned expressions only
    except Exception:
        return None
    return NOT_JUDGED if v is None else bool(v)


def ratio_cell(row, key):
    """The ratio in bold; with repetitions, the median and the lowest and highest of them."""
    if key not in row:
        return "—"
    cell = f"**{row[key]:.2f}**"
    values = row.get("reps", {}).get(key, [])
    if len(values) > 1:
        cell += f" ({min(values):.2f}–{max(values):.2f})"
    return cell


def with_cost_vs_1k(h, rows):
    """Headline 2's per-stake cost at each size over the 10^3 one at the same block size, from
    the rows shown (medians when repeated; the benchmark's own counter compares single runs)."""
    if h.key != "h2":
        return rows
    base = {r["args"].get("block"): r["us_per_stake"] for r in rows
            if r.get("args", {}).get("users") == 1000 and "us_per_stake" in r}
    for r in rows:
        b = base.get(r.get("args", {}).get("block"))
        if r.get("args", {}).get("users", 1000) != 1000 and b and "us_per_stake" in r:
            r["cost_vs_1k"] = r["us_per_stake"] / b
    return rows


def table(h, rows):
    cols = ["case", f"{h.unit}", "ceiling" if h.ceiling else None, "ratio" if h.ratio else None,
            "target", "pass"] + h.extra
    cols = [c for c in cols if c is not None]
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        if "error" in r:
            out.append(f"| {r['name']} | error: {r['error']} |" + " |" * (len(cols) - 2))
            continue
        ok = passes(h, r)
        cells = [label_args(h, r["args"]) or r["name"], fmt(r.get(h.figure))]
        if h.ceiling:
            cells.append(fmt(r.get(h.ceiling)))
        if h.ratio:
            cells.append(ratio_cell(r, h.ratio))
        cells += [h.target_text, {True: "pass", False: "**fail**", None: "?", NOT_JUDGED: NOT_JUDGED}[ok]]
        cells += [fmt(r.get(c)) for c in h.extra]
        out.append("| " + " | ".join(cells) + " |")
    return out


def quote(text):
    """Text for a single-quoted gnuplot string (a quote is doubled)."""
    return text.replace("'", "''")


def gnuplot_plot(h, p, rows, png_dir):
    rows = [r for r in rows if "error" not in r]
    x = p.x
    if x is None and rows:
        x = next(iter(rows[0]["args"]), None)
    if x is None or not rows or not all(x in r["args"] for r in rows):
        return None
    if len({r["args"][x] for r in rows}) < 2:  # one point per line: nothing to plot
        return None
    names = METHOD_NAMES.get(h.key, {})
    # One line per counter and per combination of the other arguments (series first).
    def group_key(r):
        others = [(k, v) for k, v in r["args"].items() if k != x]
        others.sort(key=lambda kv: kv[0] != p.series)
        return tuple(others)

    groups = OrderedDict()
    for r in rows:
        groups.setdefault(group_key(r), []).append(r)
    varying = {k for k in {k for key in groups for k, _ in key}
               if len({dict(key).get(k) for key in groups}) > 1}
    data_lines, plots = [], []
    for gi, (key, grp) in enumerate(groups.items()):
        grp.sort(key=lambda r: r["args"][x])
        shown = ", ".join(f"{k}={names.get(k, {}).get(v, v)}" for k, v in key if k in varying)
        for y in p.ys:
            pts = [(r["args"][x], r[y]) for r in grp if y in r]
            if not pts:
                continue
            data_lines.append("\n".join(f"{a} {b}" for a, b in pts))
            label = f"{y}, {shown}" if shown else y
            # Ceilings dashed; colour per (group, counter), point type per group.
            dash = 2 if ("ceiling" in y or y.startswith("echo")) else 1
            colour = gi * len(p.ys) + p.ys.index(y) + 1
            plots.append(f"'-' using 1:2 with linespoints lc {colour} dt {dash} "
                         f"pt {gi * 2 + 5} title '{quote(label.replace('_', ' '))}'")
    if not plots:
        return None
    out = os.path.join(png_dir, p.file)
    script = [
        "set terminal pngcairo size 900,540 font 'sans,10'",
        f"set output '{out}'",
        f"set title '{quote(p.title)}'",
        f"set xlabel '{quote(p.xlabel)}'",
        f"set ylabel '{quote(p.ylabel)}'",
        "set key below",
        "set grid",
        "set xtics (" + ", ".join(f'"{v}" {v}' for v in sorted({r["args"][x] for r in rows}))
        + ")",
    ]
    if p.hline:
        script.append(f"set arrow from graph 0, first {p.hline[0]} to graph 1, first {p.hline[0]} "
                      "nohead lc rgb 'red' dt 3")
        script.append(f"set label '{quote(p.hline[1])}' at graph 0.02, first {p.hline[0] * 1.1} "
                      "tc rgb 'red'")
    if p.logx:
        script.append("set logscale x")
    if p.logy:
        script.append("set logscale y")
    script.append("plot " + ", ".join(plots))
    for d in data_lines:
        script += [d, "e"]
    subprocess.run(["gnuplot"], input="\n".join(script) + "\n", text=True, check=True)
    return out


BEGIN = "<!-- BEGIN GENERATED by scripts/bench.sh: edits inside are overwritten -->"
END = "<!-- END GENERATED -->"
HEADER = f"""# Performance (generated figures)

This file is regenerated by `scripts/bench.sh` (the benchmark set and targets are the table
`HEADLINES` in `scripts/perf_report.py`). Only the part between the `BEGIN GENERATED` and
`END GENERATED` markers is rewritten; every section outside them is hand-written and kept as is
(add notes, e.g. a hand-written `## Headline 2` section, below the generated part). How each
benchmark is measured: `docs/benchmarks.md`.

{BEGIN}
{END}
"""


def cmd_report(results, md_path, png_dir):
    with open(results) as f:
        merged = json.load(f)
    m = merged["machine"]
    os.makedirs(png_dir, exist_ok=True)
    rel_png = os.path.relpath(png_dir, os.path.dirname(os.path.abspath(md_path)))
    body = [
        "## Run",
        "",
        f"- commit `{m['commit']}`, {m['date']}, {m['mode']} run"
        + (" with `MESH_BENCH_LARGE=1`" if m.get("large") else ""),
        f"- machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, Linux {m['kernel']}"
        + (f", {m['os']}" if m.get("os") else "") + f"; load average at the end {m['load']}",
        f"- raw results: `{os.path.basename(results)}` (Google Benchmark JSON per headline)",
        "",
    ]
    for h in HEADLINES:
        body.append(f"## {h.title}")
        body.append("")
        run = merged["runs"].get(h.key)
        rows = with_cost_vs_1k(h, rows_of(run)) if run else []
        if not rows:
            body.append(f"Not measured in this run (`{h.binary} --benchmark_filter='{h.filter}'`"
                        " matched no benchmark in this build).")
            body.append("")
            continue
        repeated = any(len(r.get("reps", {}).get(h.ratio or h.figure, [])) > 1 for r in rows)
        body.append(f"`{h.binary} --benchmark_filter='{h.filter}'`; pass means `{h.target}`."
                    + (" Each case ran several times in a row: figures are the medians of the"
                       " runs, the ratio's lowest and highest beside it." if repeated else ""))
        body.append("")
        body += table(h, rows)
        body.append("")
        for p in h.plots:
            out = gnuplot_plot(h, p, rows, png_dir)
            if out:
                body.append(f"![{p.title}]({rel_png}/{p.file})")
                body.append("")
    generated = "\n".join(body).rstrip() + "\n"
    text = open(md_path).read() if os.path.exists(md_path) else HEADER
    if BEGIN not in text or END not in text:
        text = text.rstrip() + "\n\n" + BEGIN + "\n" + END + "\n"
    before, rest = text.split(BEGIN, 1)
    _, after = rest.split(END, 1)
    with open(md_path, "w") as f:
        f.write(before + BEGIN + "\n" + generated + END + after)


def main(argv):
    if len(argv) >= 2 and argv[1] == "runs":
        cmd_runs()
    elif len(argv) == 4 and argv[1] == "merge":
        cmd_merge(argv[2], argv[3])
    elif len(argv) == 5 and argv[1] == "report":
        cmd_report(argv[2], argv[3], argv[4])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
