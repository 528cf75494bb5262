#!/usr/bin/env python3
"""Side-by-side Niggli reduction throughput: pymatgen, spglib (from Python and its C library called
from C), and cdvae's wasm core, on the same lattices (the datasets' lattices in tests/fixtures/).

Usage (from the repository root):
  /work/pyenv-fixtures/bin/python bench/niggli_compare.py [--pymatgen-limit N]

Every tool reduces each lattice with the same tolerance, eps = 1e-5 * V^(1/3) (pymatgen's tol=1e-5
means exactly that; spglib takes it as an absolute value). Rates are lattices per second, the best of
several timed runs after a warm-up (on a shared machine the fastest run is the best estimate of
uncontended speed). pymatgen is timed on the first N lattices of each dataset
(default 3000) because it is slow; the others on all. The spglib C column compiles a small C loop
against the libsymspg shipped in the spglib wheel (needs cc); it is left out if that fails. The cdvae
columns come from `deno run -A bench/niggli_bench.ts --json`.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np
import spglib
from pymatgen.core import Lattice

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ["perov_5", "carbon_24", "mp_20"]
EPS = 1e-5

# C timing loop over spg_niggli_reduce: reads M lattices (row-major, rows = vectors) and their eps
# from a binary file, reduces copies of all of them R times, prints the best seconds per pass.
C_LOOP = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "spglib.h"
static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y);
}
int main(int argc, char **argv) {
  FILE *f = fopen(argv[1], "rb"); int repeats = atoi(argv[2]); long m;
  if (!f || fread(&m, sizeof m, 1, f) != 1) return 1;
  double *lat = malloc(sizeof(double) * 9 * m), *eps = malloc(sizeof(double) * m);
  if (fread(lat, sizeof(double), 9 * m, f) != (size_t)(9 * m) || fread(eps, sizeof(double), m, f) != (size_t)m) return 1;
  double *times = malloc(sizeof(double) * repeats), sink = 0;
  for (int r = -1; r < repeats; r++) {
    struct timespec t0, t1; clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < m; i++) {
      double l[3][3];
      for (int j = 0; j < 3; j++) for (int k = 0; k < 3; k++) l[k][j] = lat[9 * i + 3 * j + k]; /* columns = vectors */
      if (!spg_niggli_reduce(l, eps[i])) { fprintf(stderr, "failed on %ld\n", i); return 1; }
      sink += l[0][0];
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (r >= 0) times[r] = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
  }
  qsort(times, repeats, sizeof(double), cmp);
  printf("%.9f %g\n", times[0], sink);
  return 0;
}
"""


def fixture_lattices(name: str) -> list[np.ndarray]:
    rows = json.loads((ROOT / "tests" / "fixtures" / f"niggli_{name}.json").read_text())["rows"]
    return [Lattice.from_parameters(*r[1:7]).matrix for r in rows]


def best_rate(fn, count: int, repeats: int) -> float:
    fn()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return count / best


def spglib_c_rate(lattices: list[np.ndarray], eps: list[float], work: Path) -> float | None:
    pkg = Path(spglib.__file__).parent
    exe = work / "niggli_loop"
    src = work / "niggli_loop.c"
    src.write_text(C_LOOP)
    libdir = pkg / "lib64" if (pkg / "lib64").exists() else pkg / "lib"
    try:
        subprocess.run(
            ["cc", "-O2", "-o", str(exe), str(src), f"-I{pkg / 'include'}", f"-L{libdir}", "-lsymspg",
             f"-Wl,-rpath,{libdir}"],
            check=True, capture_output=True,
        )
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"spglib C loop not built: {e}", file=sys.stderr)
        return None
    data = work / "lattices.bin"
    with open(data, "wb") as f:
        f.write(np.int64(len(lattices)).tobytes())
        f.write(np.asarray(lattices, dtype=np.float64).tobytes())
        f.write(np.asarray(eps, dtype=np.float64).tobytes())
    out = subprocess.run([str(exe), str(data), "25"], check=True, capture_output=True, text=True).stdout
    return len(lattices) / float(out.split()[0])


def main() -> None:
    limit = 3000
    if "--pymatgen-limit" in sys.argv:
        limit = int(sys.argv[sys.argv.index("--pymatgen-limit") + 1])
    deno = subprocess.run(
        ["deno", "run", "-A", str(ROOT / "bench" / "niggli_bench.ts"), "--json"],
        check=True, capture_output=True, text=True, cwd=ROOT,
    )
    ours = json.loads(deno.stdout)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in DATASETS:
            lattices = fixture_lattices(name)
            eps = [EPS * abs(np.linalg.det(m)) ** (1 / 3) for m in lattices]
            some = lattices[:limit]
            pmg = best_rate(lambda: [Lattice(m).get_niggli_reduced_lattice(tol=EPS) for m in some], len(some), 3)
            spg_py = best_rate(
                lambda: [spglib.niggli_reduce(m, eps=e) for m, e in zip(lattices, eps)], len(lattices), 5
            )
            spg_c = spglib_c_rate(lattices, eps, Path(tmp))
            rows.append((name, len(lattices), pmg, spg_py, spg_c, ours[name]))
    print(f"pymatgen {version('pymatgen')}, spglib {version('spglib')}, numpy {version('numpy')}; "
          f"{os.cpu_count()} CPUs; lattices per second (best of several runs)\n")
    print("| dataset | lattices | pymatgen | spglib (Python loop) | spglib C (C loop) | cdvae batch | "
          "cdvae one call each | cdvae structures (12 atoms) | batch ÷ pymatgen | batch ÷ spglib C |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, m, pmg, spg_py, spg_c, o in rows:
        c_txt = f"{spg_c:,.0f}" if spg_c else "n/a"
        ratio_c = f"{o['batch'] / spg_c:.2f}×" if spg_c else "n/a"
        print(f"| {name} | {m} | {pmg:,.0f} | {spg_py:,.0f} | {c_txt} | {o['batch']:,.0f} | {o['per_call']:,.0f} | "
              f"{o['structures_12']:,.0f} | {o['batch'] / pmg:,.0f}× | {ratio_c} |")


if __name__ == "__main__":
    main()
