// bmm.wgsl: batched matmul of many small matrices (one product per edge)
// bmm: a [r, M, K] f32 ([r, K, M] when TA = 1), b [r, K, N] f32 ([r, N, K] when TB = 1)
//      → out [r, M, N]: out[e, i, j] = Σ_q op(a[e])[i, q] · op(b[e])[q, j], summed in increasing q
// consts: TA, TB (1: use the transpose of every batch item of a / b)
// one invocation per output element; workgroup 64, 2-D grid linearised

const TA: u32 = 0u;
const TB: u32 = 0u;

struct BmmParams { r: u32, m: u32, n: u32, k: u32 }

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: BmmParams;

@compute @workgroup_size(64)
fn bmm(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let idx = (wid.y * nwg.x + wid.x) * 64u + li;
  let mn = p.m * p.n;
  if (idx >= p.r * mn) { return; }
  let e = idx / mn;
  let i = (idx % mn) / p.n;
  let j = idx % p.n;
  // Element (i, q) of op(a[e]) is at a0 + q * sa; element (q, j) of op(b[e]) at b0 + q * sb.
  var a0 = e * p.m * p.k + i * p.k;
  var sa = 1u;
  if (TA == 1u) { a0 = e * p.m * p.k + i; sa = p.m; }
  var b0 = e * p.k * p.n + j;
  var sb = p.n;
  if (TB == 1u) { b0 = e * p.k * p.n + j * p.k; sb = 1u; }
  var s = 0.0;
  for (var q = 0u; q < p.k; q++) { s += a[a0 + q * sa] * b[b0 + q * sb]; }
  out[idx] = s;
}
