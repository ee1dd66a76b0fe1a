"""Run every benchmark module and write docs/benchmarks.md with the machine and the date."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import platform
import re
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


def _previous_sections() -> dict[str, str]:
    """Sections of the current docs/benchmarks.md by module, from their `<!-- bench_x -->` markers."""
    if not OUTPUT.exists():
        return {}
    parts = re.split(r"(?m)^<!-- (bench_\w+) -->\n", OUTPUT.read_text())
    return {parts[i]: f"<!-- {parts[i]} -->\n" + parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("only", nargs="*", help="module names to run (default: all), e.g. bench_energy")
    args = parser.parse_args(argv)
    modules = sorted(p.stem for p in BENCH_DIR.glob("bench_*.py"))
    if args.only:
        modules = [m for m in modules if m in args.only]
    stamp = f"_Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {machine_description()}._"
    # Start from the current file's sections: running one module must not erase the others.
    sections = _previous_sections()
    failed = False
    for name in modules:
        print(f"[bench] {name} …", flush=True)
        try:
            body = importlib.import_module(f"bench.{name}").run().strip()
        except Exception:  # one broken benchmark must not hide the others' results
            failed = True
            body = f"## {name}\n\nFAILED:\n\n```\n{traceback.format_exc()}\n```"
        sections[name] = f"<!-- {name} -->\n{body}\n\n{stamp}"
    header = (
        "# Benchmarks\n\n"
        "Regenerate with `make bench` (or `python -m bench bench_x` for one section; the others are kept).\n"
        "Each section ends with the date and the machine it was measured on, and compares against a baseline\n"
        "measured in the same run. Wall times carry noise (the machine may be shared with other work while these\n"
        "run); ratios within one section are the meaningful figures.\n"
    )
    ordered = [sections[name] for name in sorted(sections)]
    OUTPUT.write_text(header + "\n" + "\n\n".join(ordered) + "\n")
    print(f"[bench] wrote {OUTPUT}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
