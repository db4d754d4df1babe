"""What every benchmark result records: the commit and exact command that made it, and the machine it ran on."""

import os
import subprocess
import sys
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _git(*args):
    try:  # only trailing whitespace is stripped: `status --porcelain` lines start with a space-padded status
        return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=30).stdout.rstrip()
    except (OSError, subprocess.SubprocessError):
        return ""


def matmul_gflops(size=1024, repeats=5):
    """This machine's dense float32 matmul speed now (best of `repeats`, numpy's BLAS), in GFLOP/s.

    Recorded beside the load average so a result's train times can be read against what the machine could do
    when it ran; ~0.1 s.
    """
    import numpy as np

    a = np.random.default_rng(0).random((size, size), dtype=np.float32)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ a
        best = min(best, time.perf_counter() - start)
    return round(2 * size**3 / best / 1e9, 1)


def provenance():
    """`{"commit", "dirty", "command", "machine", "started"}` for a result JSON; call it when the run starts.

    `dirty` lists tracked files that differ from the commit (outside benchmarks/results/): a result made on a
    dirty tree does not belong to the commit it names.
    """
    changed = [line[3:] for line in _git("status", "--porcelain", "--untracked-files=no").splitlines()
               if not line[3:].startswith("benchmarks/results/")]
    return {
        "commit": _git("rev-parse", "HEAD"),
        "dirty": changed,
        "command": " ".join(["python", os.path.relpath(os.path.abspath(sys.argv[0]), REPO_ROOT), *sys.argv[1:]]),
        "machine": {"cores": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()],
                    "matmul_gflops": matmul_gflops()},
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
