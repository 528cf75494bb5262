/**
 * Minimum interatomic distance of large crystals with a cell list, linear in the atom count where
 * the core's pair search is quadratic (100 000 atoms: seconds instead of minutes).
 *
 * The cell is cut into bins at least `r` thick across every pair of faces, so two atoms closer
 * than `r` (in any periodic image) lie in the same or adjacent bins; `r` starts at a packing bound
 * (N spheres of diameter d fit in the volume V only if d ≤ 1.13·(V/N)^⅓) and doubles when no pair
 * is found (possible when an atom's own images are closer than other atoms).
 *
 * @module
 */

import type { Crystal } from "../crystal/crystal.ts";

/** Fewest bins per axis the cell list needs: with 3, the ±1 neighbours of a bin are distinct bins. */
const MIN_BINS = 3;

/** Largest number of bins (memory for the bin heads). */
const MAX_BINS = 1 << 22;

function cross(l: ArrayLike<number>, i: number, j: number): [number, number, number] {
  const a = [l[3 * i], l[3 * i + 1], l[3 * i + 2]], b = [l[3 * j], l[3 * j + 1], l[3 * j + 2]];
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

/** Distances between opposite faces of the cell (Å): h_k = V / |a_i × a_j|. */
function faceSpacings(l: ArrayLike<number>): number[] {
  const c = cross(l, 1, 2);
  const v = Math.abs(l[0] * c[0] + l[1] * c[1] + l[2] * c[2]);
  return [[1, 2], [2, 0], [0, 1]].map(([i, j]) => v / Math.hypot(...cross(l, i, j)));
}

/**
 * Smallest distance between two distinct atoms over all periodic images, or `undefined` when the
 * cell is too thin for a cell list at the needed radius (the caller then uses the pair search).
 * Coordinates must lie in [0, 1).
 *
 * @param c The crystal, with wrapped coordinates and at least 2 atoms
 * @returns The distance in Å, or undefined
 */
export function minPairDistanceCells(c: Crystal): number | undefined {
  const n = c.numbers.length;
  const l = c.lattice;
  const h = faceSpacings(l);
  const volume = h[0] * Math.hypot(...cross(l, 1, 2));
  let r = 1.2 * Math.cbrt(volume / n);
  for (;;) {
    const bins = h.map((hk) => Math.min(MAX_BINS, Math.floor(hk / r)));
    if (bins.some((b) => b < MIN_BINS) || bins[0] * bins[1] * bins[2] > MAX_BINS) return undefined;
    const best = searchBins(c, bins, r);
    if (best <= r) return best;
    r *= 2;
  }
}

/** The smallest distinct-atom distance found within ±1 bin, or +∞. */
function searchBins(c: Crystal, bins: number[], r: number): number {
  const n = c.numbers.length, f = c.frac, l = c.lattice;
  const [nx, ny, nz] = bins;
  const head = new Int32Array(nx * ny * nz).fill(-1);
  const next = new Int32Array(n);
  const bx = new Int32Array(n), by = new Int32Array(n), bz = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    bx[i] = Math.min(nx - 1, Math.floor(f[3 * i] * nx));
    by[i] = Math.min(ny - 1, Math.floor(f[3 * i + 1] * ny));
    bz[i] = Math.min(nz - 1, Math.floor(f[3 * i + 2] * nz));
    const b = (bx[i] * ny + by[i]) * nz + bz[i];
    next[i] = head[b];
    head[b] = i;
  }
  let best2 = Infinity;
  const r2 = r * r;
  for (let i = 0; i < n; i++) {
    const fx = f[3 * i], fy = f[3 * i + 1], fz = f[3 * i + 2];
    for (let dx = -1; dx <= 1; dx++) {
      const x = bx[i] + dx, sx = x < 0 ? -1 : x >= nx ? 1 : 0, ix = x - sx * nx;
      for (let dy = -1; dy <= 1; dy++) {
        const y = by[i] + dy, sy = y < 0 ? -1 : y >= ny ? 1 : 0, iy = y - sy * ny;
        for (let dz = -1; dz <= 1; dz++) {
          const z = bz[i] + dz, sz = z < 0 ? -1 : z >= nz ? 1 : 0, iz = z - sz * nz;
          for (let j = head[(ix * ny + iy) * nz + iz]; j >= 0; j = next[j]) {
            if (j <= i && sx === 0 && sy === 0 && sz === 0) continue; // each pair once, never i with itself
            if (j === i) continue; // own images are not pairs of distinct atoms
            const ux = f[3 * j] + sx - fx, uy = f[3 * j + 1] + sy - fy, uz = f[3 * j + 2] + sz - fz;
            const px = ux * l[0] + uy * l[3] + uz * l[6];
            const py = ux * l[1] + uy * l[4] + uz * l[7];
            const pz = ux * l[2] + uy * l[5] + uz * l[8];
            const d2 = px * px + py * py + pz * pz;
            if (d2 < best2 && d2 <= r2) best2 = d2;
          }
        }
      }
    }
  }
  return Math.sqrt(best2);
}
