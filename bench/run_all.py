"""Run every benchmark and write one table of their figures: bench/RESULTS.md.

`make bench` runs them at full size (about ten minutes on a quiet 2-core machine);
`--tiny` runs each at the size of seconds it offers, as CI does
(tests/project/test_bench_all.py), so a benchmark that breaks fails CI.

Needs DATABASE_URL (PostgreSQL) and REDIS_URL (the API benchmark serves
through production's settings); each benchmark makes a database of its own
and drops it. Each runs in its own process, its output kept in a log beside
the results. The table gives each figure with the floor it is measured
against in the same run, the ratio, the target (issue 18's and issue 13's)
and whether it was met, and the load average before and after each bench:
the machine is shared, so a figure taken under load says so.

Exit status: non-zero when a benchmark fails (an exception, a wrong count, a
request not answered 2xx); a target missed is a row of the table, not a failure.
"""

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.results import RESULTS_ENV, Figure, read  # noqa: E402

# name -> script; each accepts --tiny.
BENCHES = {
    "matching": "bench/matching.py",
    "weekly": "bench/weekly.py",
    "roster_import": "bench/roster_import.py",
    "report": "bench/report.py",
    "api": "bench/api.py",
    "province": "bench/province.py",
}


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _figure(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    if unit == "s":
        return f"{value:.3f} s" if value < 1 else f"{value:.2f} s"
    return f"{value:,.1f} {unit}"


def _met(figure: Figure) -> str:
    return {True: "met", False: "**missed**", None: ""}[figure.met]


def table(runs: list[dict], *, tiny: bool) -> str:
    """The Markdown of bench/RESULTS.md."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    size = "tiny sizes (CI's check that each runs)" if tiny else "full size"
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` (`bench/run_all.py`) on {now}, at {size}, on a machine "
        f"of {os.cpu_count()} cores. Each figure is measured against its floor in the same "
        "run; the target is issue 18's (issue 13's for the API). Figures are reported, "
        "never asserted; the load average (1, 5, 15 minutes) says how busy the shared "
        "machine was. How each bench works: `bench/README.md`.",
        "",
        "| bench | took | load before | load after | outcome |",
        "| --- | --- | --- | --- | --- |",
    ]
    for run in runs:
        outcome = "ran" if run["returncode"] == 0 else f"**failed** (exit {run['returncode']})"
        lines.append(
            f"| {run['name']} | {run['seconds']:.0f} s | {run['load_before']} | "
            f"{run['load_after']} | {outcome} |"
        )
    lines += [
        "",
        "| bench | measure | figure | floor | floor figure | ratio | target | |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for run in runs:
        for f in run["figures"]:
            ratio = f"{f.ratio:.2f}x" if f.ratio is not None else ""
            lines.append(
                f"| {f.bench} | {f.measure} | {_figure(f.value, f.unit)} | {f.floor} | "
                f"{_figure(f.floor_value, f.unit)} | {ratio} | {f.target} | {_met(f)} |"
            )
    missed = [f for run in runs for f in run["figures"] if f.met is False]
    lines += ["", f"{len(missed)} of the figures with a target missed it."]
    return "\n".join(lines) + "\n"


def run_all(*, tiny: bool, out: Path, only: list[str] | None = None) -> list[dict]:
    """Run the benchmarks one after another, write the table to `out`; their runs."""
    logs = Path(tempfile.mkdtemp(prefix="bench-all-"))
    runs = []
    for name, script in BENCHES.items():
        if only and name not in only:
            continue
        figures_path = logs / f"{name}.jsonl"
        log_path = logs / f"{name}.log"
        env = {**os.environ, RESULTS_ENV: str(figures_path)}
        command = [sys.executable, script] + (["--tiny"] if tiny else [])
        print(f"== {name}: {' '.join(command[1:])} (log {log_path})", flush=True)
        load_before, started = _load(), time.monotonic()
        with open(log_path, "w", encoding="utf-8") as log:
            process = subprocess.Popen(  # noqa: S603 (our own scripts, no shell)
                command,
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for line in process.stdout:
                log.write(line)
                print("   " + line, end="", flush=True)
            returncode = process.wait()
        runs.append(
            {
                "name": name,
                "seconds": time.monotonic() - started,
                "load_before": load_before,
                "load_after": _load(),
                "returncode": returncode,
                "figures": read(figures_path) if figures_path.exists() else [],
            }
        )
    out.write_text(table(runs, tiny=tiny), encoding="utf-8")
    print(f"\nResults in {out}; logs in {logs}")
    return runs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tiny", action="store_true", help="each bench at its tiny size")
    parser.add_argument("--out", type=Path, help="where the table goes (bench/RESULTS.md)")
    parser.add_argument("--only", nargs="*", choices=list(BENCHES), help="some benches only")
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL=postgres://... and REDIS_URL=redis://...: see bench/README.md.")
    out = args.out or ROOT / "bench" / "RESULTS.md"
    runs = run_all(tiny=args.tiny, out=out, only=args.only)
    failed = [run["name"] for run in runs if run["returncode"] != 0]
    if failed:
        print("Failed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
