"""Helpers shared by the benchmark scripts: run a measurement in a fresh process."""

from __future__ import annotations

import json
import subprocess
import sys

# Prepended to every child: its own peak memory. ru_maxrss would carry the parent's peak
# across exec on Linux; VmHWM belongs to the process's own address space.
PEAK_RSS = '''
def peak_rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
'''


def run_child(code: str, *args: str) -> dict:
    """Run ``code`` in a new interpreter; it must print one JSON object as its last line."""
    out = subprocess.run([sys.executable, "-c", PEAK_RSS + code, *map(str, args)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def baseline_mb() -> float:
    """Peak memory of an interpreter that has imported our stack and done nothing."""
    return run_child("import json, recsys_utils, scipy.sparse, pandas\n"
                     "print(json.dumps({'peak_mb': peak_rss_mb()}))")["peak_mb"]
