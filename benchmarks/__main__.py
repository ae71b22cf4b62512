"""Run every benchmark in turn: `python -m benchmarks [name ...]`."""

from __future__ import annotations

import importlib
import sys

ALL = ["engine_overhead", "redis_workers"]


def main() -> None:
    """Run the named benchmarks (all by default); each writes its own results JSON."""
    names = sys.argv[1:] or ALL
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        module.main([])


if __name__ == "__main__":
    main()
