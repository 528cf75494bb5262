// softmax.wgsl: row-wise softmax / log-softmax and backward
// softmax:          x [r, c] → out [r, c] (log-softmax when LOG = 1), max-shifted
// softmax_backward: g, y (the forward output) → out = y·(g − Σ g·y)   (LOG: g − exp(y)·Σ g)
// consts: LOG; one invocation per row; workgroup 64, 2-D grid linearised

const LOG: u32 = 0u;

struct RowParams { r: u32, c: u32 }

@group(0) @binding(0) var<storage, read> sm_x: array<f32>;
@group(0) @binding(1) var<storage, read_write> sm_out: array<f32>;
@group(0) @binding(2) var<uniform> sm_p: RowParams;

@compute @workgroup_size(64)
fn softmax(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let row = (wid.y * nwg.x + wid.x) * 64u + li;
  if (row >= sm_p.r) { return; }
  let o = row * sm_p.c;
  var mx = sm_x[o];
  for (var q = 1u; q < sm_p.c; q++) { mx = max(mx, sm_x[o + q]); }
  var s = 0.0;
  for (var q = 0u; q < sm_p.c; q++) { s += exp(sm_x[o + q] - mx); }
  let ls = log(s);
  for (var q = 0u; q < sm_p.c; q++) {
    let z = sm_x[o + q] - mx;
    sm_out[o + q] = select(exp(z) / s, z - ls, LOG == 1u);
  }
}

@group(0) @binding(0) var<storage, read> sb_g: array<f32>;
@group(0) @binding(1) var<storage, read> sb_y: array<f32>;
@group(0) @binding(2) var<storage, read_write> sb_out: array<f32>;
@group(0) @binding(3) var<uniform> sb_p: RowParams;

@compute @workgroup_size(64)
fn softmax_backward(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let row = (wid.y * nwg.x + wid.x) * 64u + li;
  if (row >= sb_p.r) { return; }
  let o = row * sb_p.c;
  var s = 0.0;
  for (var q = 0u; q < sb_p.c; q++) { s += select(sb_g[o + q] * sb_y[o + q], sb_g[o + q], LOG == 1u); }
  for (var q = 0u; q < sb_p.c; q++) {
    let g = sb_g[o + q];
    let y = sb_y[o + q];
    sb_out[o + q] = select(y * (g - s), g - exp(y) * s, LOG == 1u);
  }
}
