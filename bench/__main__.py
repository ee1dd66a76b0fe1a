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
    sections: list[str] = []
    failed = False
    for name in modules:
        print(f"[bench] {name} …", flush=True)
        try:
            sections.append(f"<!-- {name} -->\n" + importlib.import_module(f"bench.{name}").run().strip())
        except Exception:  # one broken benchmark must not hide the others' results
            failed = True
            sections.append(f"<!-- {name} -->\n## {name}\n\nFAILED:\n\n```\n{traceback.format_exc()}\n```")
    # Keep the sections of benchmarks not run this time (running one module must not erase the others).
    previous = _previous_sections()
    ran = {name for name in modules}
    for name, text in previous.items():
        if name not in ran:
            sections.append(text)
    header = (
        "# Benchmarks\n\n"
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on: {machine_description()}.\n"
        "Regenerate with `make bench` (or `python -m bench bench_x` for one section; the others are kept).\n"
        "Each section compares against a baseline measured in the same run. The machine is shared with other\n"
        "work while these run, so wall times carry noise; ratios within one section are the meaningful figures.\n"
    )
    OUTPUT.write_text(header + "\n" + "\n\n".join(sections) + "\n")
    print(f"[bench] wrote {OUTPUT}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
