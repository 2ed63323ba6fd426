"""How long `ivr check` (load_flows: read the YAML, build, validate) takes on a 10,000-step flow set,
and how long the staff pages take to draw its flows.

    .venv/bin/python scripts/bench_flows.py [--steps 10000] [--runs 5]

The flows come from tests/flowgen.py (valid by construction), written to a temporary folder.
Reading the YAML alone is timed too (libyaml's composer, then the located tree), to show where the
time goes.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from flowgen import big_flow, write_flows  # noqa: E402

from ivr.flow.diagram import flow_graph, flow_svg  # noqa: E402
from ivr.flow.loader import load_flows  # noqa: E402
from ivr.yamlfile.source import read_yaml  # noqa: E402


def timed(action, runs: int) -> list:
    import gc

    seconds = []
    for _ in range(runs):
        gc.collect()                  # each run starts with no garbage of the one before
        started = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - started)
    return seconds


def paused_gc(action):
    """As load_flows reads: with the cyclic garbage collector paused."""
    import gc

    gc.disable()
    try:
        return action()
    finally:
        gc.enable()


def summary(label: str, seconds: list) -> str:
    return f"{label:<28} min {min(seconds):7.3f} s   median {statistics.median(seconds):7.3f} s   ({len(seconds)} runs)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    started = time.perf_counter()
    files = big_flow(args.steps, seed=args.seed)
    generated = time.perf_counter() - started
    size = sum(len(text.encode()) for text in files.values())
    lines = sum(text.count("\n") for text in files.values())
    with tempfile.TemporaryDirectory() as folder:
        flows_dir = write_flows(Path(folder) / "flows", files)
        audio_dir = Path(folder) / "audio"
        result = load_flows(flows_dir, audio_dir=audio_dir)          # also a warm-up
        if result.flows is None:
            for problem in result.errors[:20]:
                print(problem, file=sys.stderr)
            print(f"the generated flows have {len(result.errors)} errors; nothing to time", file=sys.stderr)
            return 1
        steps = len(result.flows.steps)
        print(f"flows: {len(files)} files ({', '.join(sorted(files))}), {steps} steps, "
              f"{lines} lines, {size / 1e6:.1f} MB; generated in {generated:.2f} s")
        texts = {name: (flows_dir / name).read_text(encoding="utf-8") for name in files}
        reading = timed(lambda: paused_gc(lambda: [read_yaml(text, name) for name, text in texts.items()]),
                        args.runs)
        whole = timed(lambda: load_flows(flows_dir, audio_dir=audio_dir), args.runs)
        names = sorted({ref.flow for ref in result.flows.steps})
        drawn = timed(lambda: [flow_svg(flow_graph(result.flows, name)) for name in names], max(1, args.runs // 2))
    print(summary("read (libyaml, located)", reading))
    print(summary("load_flows (read+validate)", whole))
    print(f"per step: {statistics.median(whole) / steps * 1e6:.0f} µs (median)")
    print(summary(f"diagrams of all {len(names)} flows", drawn) + "   (the bar: under 10 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
