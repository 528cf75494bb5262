/**
 * Plain-TS reference of `shaders/langevin.wgsl` (one annealed-Langevin update per atom), in f32
 * arithmetic step by step as the kernel computes it.
 *
 * @module
 */

import type { CpuKernel } from "../../compute/kernels.ts";

const f = Math.fround;

/** frac [N, 3] updated and types [N] from scores, logits, noise, lattices, inverses, crystal. */
export const langevinStep: CpuKernel = (
  [frac, scores, logits, noise, lattices, inverses, crystal, types],
  { n, t, step, noise_std, inv_sigma },
) => {
  const x = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const o = 9 * crystal[i];
    for (let c = 0; c < 3; c++) {
      const fx = f(frac[3 * i] * lattices[o + c]), fy = f(frac[3 * i + 1] * lattices[o + 3 + c]);
      x[c] = f(f(fx + fy) + f(frac[3 * i + 2] * lattices[o + 6 + c]));
      const s = f(scores[3 * i + c] * inv_sigma);
      x[c] = f(f(x[c] + f(step * (Number.isFinite(s) ? s : 0))) + f(noise_std * noise[3 * i + c]));
    }
    for (let c = 0; c < 3; c++) {
      const fx = f(x[0] * inverses[o + c]), fy = f(x[1] * inverses[o + 3 + c]);
      const v = f(f(fx + fy) + f(x[2] * inverses[o + 6 + c]));
      const w = f(v - Math.floor(v));
      frac[3 * i + c] = w >= 1 ? 0 : w;
    }
    let best = 0;
    for (let k = 1; k < t; k++) if (logits[i * t + k] > logits[i * t + best]) best = k;
    types[i] = best;
  }
};
