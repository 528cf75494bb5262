// segment.wgsl: reductions over CSR segments (edges → atoms, atoms → crystals), no atomics
// segment_sum:    x [E, c], rowptr [r+1] u32, perm [E] u32 (read when PERM = 1) → out [r, c]:
//                 out[s, q] = Σ x[perm?(e), q] for e in rowptr[s]..rowptr[s+1], in order of e
//                 (deterministic); ÷ count when MEAN = 1 (empty segment → 0)
// segment_expand: g [r, c], rowptr [r+1] → out [e, c]: out[e, q] = g[s, q] (÷ count when MEAN = 1)
//                 for the segment s holding e (binary search); rows outside every segment → 0
// consts: MEAN, PERM, VEC (1, or 4 when c % 4 == 0: VEC adjacent columns per invocation)
// one invocation per VEC output elements; workgroup 64, 2-D grid linearised

const MEAN: u32 = 0u;
const PERM: u32 = 0u;
const VEC: u32 = 1u;

struct SegParams { r: u32, c: u32 }
struct ExpandParams { e: u32, r: u32, c: u32 }

@group(0) @binding(0) var<storage, read> ss_x: array<f32>;
@group(0) @binding(1) var<storage, read> ss_rowptr: array<u32>;
@group(0) @binding(2) var<storage, read> ss_perm: array<u32>;
@group(0) @binding(3) var<storage, read_write> ss_out: array<f32>;
@group(0) @binding(4) var<uniform> ss_p: SegParams;

@compute @workgroup_size(64)
fn segment_sum(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let i = ((wid.y * nwg.x + wid.x) * 64u + li) * VEC;
  if (i >= ss_p.r * ss_p.c) { return; }
  let s = i / ss_p.c;
  let q = i % ss_p.c;
  let lo = ss_rowptr[s];
  let hi = ss_rowptr[s + 1u];
  var acc = vec4<f32>(0.0);
  for (var e = lo; e < hi; e++) {
    var row = e;
    if (PERM == 1u) { row = ss_perm[e]; }
    for (var v = 0u; v < VEC; v++) { acc[v] += ss_x[row * ss_p.c + q + v]; }
  }
  if (MEAN == 1u && hi > lo) { acc *= 1.0 / f32(hi - lo); }
  for (var v = 0u; v < VEC; v++) { ss_out[i + v] = acc[v]; }
}

@group(0) @binding(0) var<storage, read> se_g: array<f32>;
@group(0) @binding(1) var<storage, read> se_rowptr: array<u32>;
@group(0) @binding(2) var<storage, read_write> se_out: array<f32>;
@group(0) @binding(3) var<uniform> se_p: ExpandParams;

@compute @workgroup_size(64)
fn segment_expand(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let i = (wid.y * nwg.x + wid.x) * 64u + li;
  if (i >= se_p.e * se_p.c) { return; }
  let e = i / se_p.c;
  if (se_p.r == 0u || e < se_rowptr[0] || e >= se_rowptr[se_p.r]) { se_out[i] = 0.0; return; }
  var lo = 0u;
  var hi = se_p.r - 1u;
  while (lo < hi) {
    let mid = (lo + hi + 1u) / 2u;
    if (se_rowptr[mid] <= e) { lo = mid; } else { hi = mid - 1u; }
  }
  var v = se_g[lo * se_p.c + i % se_p.c];
  if (MEAN == 1u) { v *= 1.0 / f32(se_rowptr[lo + 1u] - se_rowptr[lo]); }
  se_out[i] = v;
}
