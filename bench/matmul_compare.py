"""OpenBLAS sgemm (numpy) at the compute runtime's benchmark shapes, for bench/compute_bench.ts.

Prints one JSON object: {"numpy": version, "blas": name, "results": [{"shape": ..., "gflops": ...}]}.
Warm-up 3 runs, then repeats to fill about 1 s; reports the median.
"""

import json
import time

import numpy as np

SHAPES = [(20000, 128, 128), (20000, 256, 128)]


def bench(m: int, k: int, n: int) -> float:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    for _ in range(3):
        a @ b
    times = []
    start = time.perf_counter()
    while time.perf_counter() - start < 1.0 or len(times) < 5:
        t = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t)
    return 2 * m * k * n / float(np.median(times)) / 1e9


def blas_name() -> str:
    try:
        cfg = np.show_config(mode="dicts")
        return cfg["Build Dependencies"]["blas"]["name"]
    except Exception:  # older numpy
        return "unknown"


if __name__ == "__main__":
    out = {
        "numpy": np.__version__,
        "blas": blas_name(),
        "results": [{"shape": [m, k, n], "gflops": bench(m, k, n)} for (m, k, n) in SHAPES],
    }
    print(json.dumps(out))
