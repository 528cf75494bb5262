// langevin.wgsl: one annealed-Langevin update of every atom, on the device (the inner step of
// src/model/sampler.ts): x ← x + ε·s/σ + √(2ε)·η in Cartesian coordinates, back to fractional
// coordinates wrapped into [0, 1), and the type ← argmax of the decoder's logits (first maximum).
// in:  scores [N, 3] (decoder output; a non-finite component counts as 0), logits [N, T],
//      noise [N, 3] standard normal, lattices [B, 9] and their inverses [B, 9] (rows = vectors:
//      x = f·L, f = x·L⁻¹), crystal [N] u32
// in/out: frac [N, 3] f32;  out: types [N] u32 (class = Z − 1)
// uniforms: n (atoms), t (classes), step ε, noise_std √(2ε), inv_sigma 1/σ
// one invocation per atom; workgroup 64, 2-D grid linearised

struct StepParams { n: u32, t: u32, step: f32, noise_std: f32, inv_sigma: f32 }

@group(0) @binding(0) var<storage, read_write> frac: array<f32>;
@group(0) @binding(1) var<storage, read> scores: array<f32>;
@group(0) @binding(2) var<storage, read> logits: array<f32>;
@group(0) @binding(3) var<storage, read> noise: array<f32>;
@group(0) @binding(4) var<storage, read> lattices: array<f32>;
@group(0) @binding(5) var<storage, read> inverses: array<f32>;
@group(0) @binding(6) var<storage, read> crystal: array<u32>;
@group(0) @binding(7) var<storage, read_write> types: array<u32>;
@group(0) @binding(8) var<uniform> p: StepParams;

/// WGSL lets implementations assume floats are finite, so test the exponent bits instead.
fn finite_or_zero(x: f32) -> f32 {
  return select(x, 0.0, (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u);
}

fn row(m: u32, b: u32, r: u32) -> vec3<f32> {
  let o = 9u * b + 3u * r;
  if (m == 0u) { return vec3<f32>(lattices[o], lattices[o + 1u], lattices[o + 2u]); }
  return vec3<f32>(inverses[o], inverses[o + 1u], inverses[o + 2u]);
}

@compute @workgroup_size(64)
fn langevin_step(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let i = (wid.y * nwg.x + wid.x) * 64u + li;
  if (i >= p.n) { return; }
  let b = crystal[i];
  var x = frac[3u * i] * row(0u, b, 0u) + frac[3u * i + 1u] * row(0u, b, 1u) + frac[3u * i + 2u] * row(0u, b, 2u);
  for (var c = 0u; c < 3u; c++) {
    x[c] += p.step * finite_or_zero(scores[3u * i + c] * p.inv_sigma) + p.noise_std * noise[3u * i + c];
  }
  let f = x.x * row(1u, b, 0u) + x.y * row(1u, b, 1u) + x.z * row(1u, b, 2u);
  for (var c = 0u; c < 3u; c++) {
    let w = f[c] - floor(f[c]);
    frac[3u * i + c] = select(w, 0.0, w >= 1.0);
  }
  var best = 0u;
  for (var k = 1u; k < p.t; k++) {
    if (logits[i * p.t + k] > logits[i * p.t + best]) { best = k; }
  }
  types[i] = best;
}
