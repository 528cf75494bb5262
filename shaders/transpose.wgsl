// transpose.wgsl: out[c, r] = x[r, c]
// in: x [R, C] f32   out: out [C, R] f32
// one invocation per element; workgroup 64, 2-D grid linearised

struct TransposeParams { r: u32, c: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> p: TransposeParams;

@compute @workgroup_size(64)
fn transpose(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let i = (wid.y * nwg.x + wid.x) * 64u + li;
  if (i >= p.r * p.c) { return; }
  out[(i % p.c) * p.r + i / p.c] = x[i];
}
