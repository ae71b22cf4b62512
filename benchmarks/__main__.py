"""Run every benchmark in turn: `python -m benchmarks [name ...] [--quick]`."""

from __future__ import annotations

import importlib
import sys

ALL = [
    "engine_overhead",
    "quota_job",
    "fetch_ahead",
    "revalidation",
    "memory",
    "waiters",
    "phrase_vs_official",
    "redis_workers",
    "decode",
    "consistency",
]

# Benchmarks that accept --quick (a smaller smoke run).
QUICK = {"quota_job"}


def main() -> None:
    """Run the named benchmarks (all by default); each writes its own results JSON.

    With one name, every option after it goes to that benchmark; with several, only `--quick`
    is passed on, to the benchmarks that take it.
    """
    args = sys.argv[1:]
    named = [a for a in args if a in ALL]
    names = named or ALL
    options = [a for a in args if a not in ALL]
    if len(names) != 1 and any(o != "--quick" for o in options):
        # Options (even --help) belong to one benchmark: never start a full run by accident.
        raise SystemExit(
            f"usage: python -m benchmarks [name ...] [--quick]; with options, name one of: "
            f"{', '.join(ALL)} (e.g. python -m benchmarks decode --help)"
        )
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        if len(names) == 1:
            module.main(options)
        else:
            module.main([o for o in options if o == "--quick" and name in QUICK])


if __name__ == "__main__":
    main()
