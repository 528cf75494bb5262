// gather.wgsl: rows by index (gather, embedding lookup)
// gather_rows: x [n, c] f32, idx [r] u32 (i32 reinterpreted: negatives read as out of range)
//              → out [r, c]: out[i, q] = x[idx[i], q], zero when idx[i] ≥ n
// consts: VEC (1, or 4 when c % 4 == 0: each invocation copies VEC adjacent columns)
// one invocation per VEC output elements; workgroup 64, 2-D grid linearised

const VEC: u32 = 1u;

struct GatherParams { r: u32, c: u32, n: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> idx: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: GatherParams;

@compute @workgroup_size(64)
fn gather_rows(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let i = ((wid.y * nwg.x + wid.x) * 64u + li) * VEC;
  if (i >= p.r * p.c) { return; }
  let j = idx[i / p.c];
  let src = j * p.c + i % p.c;
  for (var v = 0u; v < VEC; v++) {
    var val = 0.0;
    if (j < p.n) { val = x[src + v]; }
    out[i + v] = val;
  }
}
