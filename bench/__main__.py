"""Run every benchmark module and write docs/benchmarks.md with the machine and the date."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import platform
import sys
import traceback
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
OUTPUT = BENCH_DIR.parent / "docs" / "benchmarks.md"


def machine_description() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem_gib:.0f} GiB RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("only", nargs="*", help="module names to run (default: all), e.g. bench_energy")
    args = parser.parse_args(argv)
    modules = sorted(p.stem for p in BENCH_DIR.glob("bench_*.py"))
    if args.only:
        modules = [m for m in modules if m in args.only]
    sections: list[str] = []
    failed = False
    for name in modules:
        print(f"[bench] {name} …", flush=True)
        try:
            sections.append(importlib.import_module(f"bench.{name}").run().strip())
        except Exception:  # one broken benchmark must not hide the others' results
            failed = True
            sections.append(f"## {name}\n\nFAILED:\n\n```\n{traceback.format_exc()}\n```")
    header = (
        "# Benchmarks\n\n"
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on: {machine_description()}.\n"
        "Regenerate with `make bench`. Each section compares against a baseline measured in the same run.\n"
    )
    OUTPUT.write_text(header + "\n" + "\n\n".join(sections) + "\n")
    print(f"[bench] wrote {OUTPUT}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
