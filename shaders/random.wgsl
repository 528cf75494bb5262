// random.wgsl: counter-based random numbers (Philox4x32-10, Salmon et al. SC'11)
// rand_uniform: out [n] = lo + (hi − lo)·u, u = (x >> 8)·2⁻²⁴ ∈ [0, 1)
// rand_normal:  out [n] = mean + std·z, z by Box–Muller on pairs (u1 = ((x >> 8) + 1)·2⁻²⁴ ∈ (0, 1])
// invocation i draws philox(counter = (i, offset, 0, 0), key = (seed_lo, seed_hi)) → out[4i..4i+3];
// same seed and offset → same numbers on every backend. workgroup 64, 2-D grid linearised
// (32×32→64-bit products from 16-bit halves: WGSL has no 64-bit integers)

struct RandParams { n: u32, seed_lo: u32, seed_hi: u32, offset: u32, a: f32, b: f32 }

@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<uniform> p: RandParams;

fn mulhilo(a: u32, b: u32) -> vec2<u32> {
  let a0 = a & 0xffffu;
  let a1 = a >> 16u;
  let b0 = b & 0xffffu;
  let b1 = b >> 16u;
  let p01 = a0 * b1;
  let p10 = a1 * b0;
  let mid = ((a0 * b0) >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  return vec2<u32>(a1 * b1 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u), a * b);
}

fn philox(c: vec4<u32>, k: vec2<u32>) -> vec4<u32> {
  var x = c;
  var key = k;
  for (var r = 0u; r < 10u; r++) {
    let h0 = mulhilo(0xd2511f53u, x.x);
    let h1 = mulhilo(0xcd9e8d57u, x.z);
    x = vec4<u32>(h1.x ^ x.y ^ key.x, h1.y, h0.x ^ x.w ^ key.y, h0.y);
    key += vec2<u32>(0x9e3779b9u, 0xbb67ae85u);
  }
  return x;
}

fn draw(wid: vec3<u32>, nwg: vec3<u32>, li: u32) -> vec4<u32> {
  let i = (wid.y * nwg.x + wid.x) * 64u + li;
  return philox(vec4<u32>(i, p.offset, 0u, 0u), vec2<u32>(p.seed_lo, p.seed_hi));
}

fn put(base: u32, v: vec4<f32>) {
  for (var j = 0u; j < 4u; j++) {
    if (base + j < p.n) { out[base + j] = v[j]; }
  }
}

@compute @workgroup_size(64)
fn rand_uniform(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let base = ((wid.y * nwg.x + wid.x) * 64u + li) * 4u;
  if (base >= p.n) { return; }
  let u = vec4<f32>(draw(wid, nwg, li) >> vec4<u32>(8u)) * (1.0 / 16777216.0);
  put(base, p.a + (p.b - p.a) * u);
}

@compute @workgroup_size(64)
fn rand_normal(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let base = ((wid.y * nwg.x + wid.x) * 64u + li) * 4u;
  if (base >= p.n) { return; }
  let x = draw(wid, nwg, li);
  let u = vec4<f32>(x >> vec4<u32>(8u));
  let u1 = (u.xz + 1.0) * (1.0 / 16777216.0);
  let th = 6.283185307179586 * u.yw * (1.0 / 16777216.0);
  let r = sqrt(-2.0 * log(u1));
  put(base, p.a + p.b * vec4<f32>(r.x * cos(th.x), r.x * sin(th.x), r.y * cos(th.y), r.y * sin(th.y)));
}
