"""Latency measurement repeatability: takes within a run, and runs against each other.

Starts a private virtual rig (PulseAudio, or PipeWire with ``--server pipewire``) and runs
``measure_latency`` (10 takes, Multi8 output 0 -> Multi8 Reversed) several times, quiet and
then with both cores kept busy by CPU hogs in other processes. For each run it prints the
median, the spread of its takes, how many alignments of the two streams were timed, the
server's position step, discarded takes and the server's stated stream latencies.

    python bench/bench_latency.py                    # about 1 minute
    python bench/bench_latency.py --server pipewire
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from cpu_hogs import cpu_hogs

from scgui.virtual_rig import MULTI8, MULTI8_REVERSED, VirtualRig


def runs(label: str, count: int) -> None:
    from scgui.measure.latency import measure_latency

    medians = []
    for _ in range(count):
        result = measure_latency(MULTI8.name, MULTI8_REVERSED.name, repeats=10)
        info = result.info
        medians.append(result.median_ms)
        print(
            f"  {label:6} median {result.median_ms:7.3f} ms  takes spread "
            f"{result.spread_ms:6.3f} ms  alignments {info['alignments']}  clock step "
            f"{info['clock_step_ms']:6.3f} ms  discarded {info['discarded_takes']}  stated "
            f"{info['stated_latency_ms']:6.2f} ms"
        )
    print(
        f"  {label:6} runs: median of medians {statistics.median(medians):.3f} ms, "
        f"spread between runs {max(medians) - min(medians):.3f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="pulseaudio", choices=["pulseaudio", "pipewire"])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        with VirtualRig(base_dir=Path(temp) / "rig", server=args.server) as rig:
            rig.apply_env()
            print(f"Latency, 10 takes per run, {args.server} virtual rig (Multi8 0 -> 7):")
            runs("quiet", args.runs)
            with cpu_hogs(2):
                runs("2 hogs", args.runs)


if __name__ == "__main__":
    main()
