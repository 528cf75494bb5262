// loss.wgsl: cross-entropy with row weights, mean squared error, and their backward
// cross_entropy:          x [r, c] logits, t [r] u32, w [r] (read when WEIGHT = 1)
//                         → out [r] = w·(logsumexp(x) − x[t]); one invocation per row
// cross_entropy_backward: g [r], x, t, w → out [r, c] = g·w·(softmax(x) − onehot(t)); one per row
// mse:                    a [n], b [n] → out [1] = mean((a − b)²); ONE workgroup of 256, fixed tree
// mse_backward:           g [1], a, b → out [n] = g·2(a − b)/n; one per element
// consts: WEIGHT; workgroup 64 (mse: 256), 2-D grid linearised

const WEIGHT: u32 = 0u;

struct RowParams { r: u32, c: u32 }
struct NParams { n: u32 }

@group(0) @binding(0) var<storage, read> ce_x: array<f32>;
@group(0) @binding(1) var<storage, read> ce_t: array<u32>;
@group(0) @binding(2) var<storage, read> ce_w: array<f32>;
@group(0) @binding(3) var<storage, read_write> ce_out: array<f32>;
@group(0) @binding(4) var<uniform> ce_p: RowParams;

// (max, Σ exp(x − max)) of the row at offset o: the log-sum-exp parts
fn ce_lse(o: u32, c: u32) -> vec2<f32> {
  var mx = ce_x[o];
  for (var q = 1u; q < c; q++) { mx = max(mx, ce_x[o + q]); }
  var s = 0.0;
  for (var q = 0u; q < c; q++) { s += exp(ce_x[o + q] - mx); }
  return vec2<f32>(mx, s);
}

@compute @workgroup_size(64)
fn cross_entropy(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let row = (wid.y * nwg.x + wid.x) * 64u + li;
  if (row >= ce_p.r) { return; }
  let o = row * ce_p.c;
  let ms = ce_lse(o, ce_p.c);
  var w = 1.0;
  if (WEIGHT == 1u) { w = ce_w[row]; }
  ce_out[row] = w * (ms.x + log(ms.y) - ce_x[o + ce_t[row]]);
}

@group(0) @binding(0) var<storage, read> cb_g: array<f32>;
@group(0) @binding(1) var<storage, read> cb_x: array<f32>;
@group(0) @binding(2) var<storage, read> cb_t: array<u32>;
@group(0) @binding(3) var<storage, read> cb_w: array<f32>;
@group(0) @binding(4) var<storage, read_write> cb_out: array<f32>;
@group(0) @binding(5) var<uniform> cb_p: RowParams;

// (max, Σ exp(x − max)) of the row at offset o: the log-sum-exp parts
fn cb_lse(o: u32, c: u32) -> vec2<f32> {
  var mx = cb_x[o];
  for (var q = 1u; q < c; q++) { mx = max(mx, cb_x[o + q]); }
  var s = 0.0;
  for (var q = 0u; q < c; q++) { s += exp(cb_x[o + q] - mx); }
  return vec2<f32>(mx, s);
}

@compute @workgroup_size(64)
fn cross_entropy_backward(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let row = (wid.y * nwg.x + wid.x) * 64u + li;
  if (row >= cb_p.r) { return; }
  let o = row * cb_p.c;
  let ms = cb_lse(o, cb_p.c);
  var w = cb_g[row];
  if (WEIGHT == 1u) { w *= cb_w[row]; }
  let t = cb_t[row];
  for (var q = 0u; q < cb_p.c; q++) {
    cb_out[o + q] = w * (exp(cb_x[o + q] - ms.x) / ms.y - select(0.0, 1.0, q == t));
  }
}

@group(0) @binding(0) var<storage, read> ms_a: array<f32>;
@group(0) @binding(1) var<storage, read> ms_b: array<f32>;
@group(0) @binding(2) var<storage, read_write> ms_out: array<f32>;
@group(0) @binding(3) var<uniform> ms_p: NParams;

var<workgroup> partial: array<f32, 256>;

@compute @workgroup_size(256)
fn mse(@builtin(local_invocation_index) li: u32) {
  var s = 0.0;
  for (var i = li; i < ms_p.n; i += 256u) {
    let d = ms_a[i] - ms_b[i];
    s += d * d;
  }
  partial[li] = s;
  workgroupBarrier();
  for (var w = 128u; w > 0u; w /= 2u) {
    if (li < w) { partial[li] += partial[li + w]; }
    workgroupBarrier();
  }
  if (li == 0u) { ms_out[0] = partial[0] / f32(ms_p.n); }
}

@group(0) @binding(0) var<storage, read> mb_g: array<f32>;
@group(0) @binding(1) var<storage, read> mb_a: array<f32>;
@group(0) @binding(2) var<storage, read> mb_b: array<f32>;
@group(0) @binding(3) var<storage, read_write> mb_out: array<f32>;
@group(0) @binding(4) var<uniform> mb_p: NParams;

@compute @workgroup_size(64)
fn mse_backward(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let i = (wid.y * nwg.x + wid.x) * 64u + li;
  if (i < mb_p.n) { mb_out[i] = mb_g[0] * 2.0 * (mb_a[i] - mb_b[i]) / f32(mb_p.n); }
}
