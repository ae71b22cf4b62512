"""Helpers shared by the benchmarks: machine information and result files."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


def machine_info() -> dict[str, Any]:
    """What the figures were measured on."""
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


def write_result(name: str, figures: dict[str, Any], parameters: dict[str, Any]) -> Path:
    """Write benchmarks/results/NAME.json and return its path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    doc = {
        "benchmark": name,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **figures,
        "parameters": parameters,
        "machine": machine_info(),
    }
    path.write_text(json.dumps(doc, indent=2, sort_keys=False) + "\n")
    return path
