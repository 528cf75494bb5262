// elementwise.wgsl: fill, broadcasting binary ops, scale, expand
// fill:   out [n] = value
// binary: out [n] = alpha·(a ∘ b), OP 0 add, 1 sub, 2 mul; a and b are read through strides a0..a3 / b0..b3
//         over the output dims d0..d3 (rank padded to 4; stride 0 along a broadcast dim)
// scale:  out [n] = alpha·x + beta
// expand: out [n] = alpha·a, a read through strides a0..a3 (broadcast)
// one invocation per output element; workgroup 64, 2-D grid linearised (wid.y·nwg.x + wid.x)

const OP: u32 = 0u;

struct FillParams { n: u32, value: f32 }
struct BinaryParams {
  d0: u32, d1: u32, d2: u32, d3: u32, a0: u32, a1: u32, a2: u32, a3: u32,
  b0: u32, b1: u32, b2: u32, b3: u32, n: u32, alpha: f32,
}
struct ScaleParams { n: u32, alpha: f32, beta: f32 }
struct ExpandParams { d0: u32, d1: u32, d2: u32, d3: u32, a0: u32, a1: u32, a2: u32, a3: u32, n: u32, alpha: f32 }

fn coords(i: u32, d1: u32, d2: u32, d3: u32) -> vec4<u32> {
  let c3 = i % d3;
  let t = i / d3;
  return vec4<u32>(t / (d2 * d1), (t / d2) % d1, t % d2, c3);
}

@group(0) @binding(0) var<storage, read_write> fill_out: array<f32>;
@group(0) @binding(1) var<uniform> fill_p: FillParams;

@compute @workgroup_size(64)
fn fill(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let i = (wid.y * nwg.x + wid.x) * 64u + li;
  if (i < fill_p.n) { fill_out[i] = fill_p.value; }
}

@group(0) @binding(0) var<storage, read> bin_a: array<f32>;
@group(0) @binding(1) var<storage, read> bin_b: array<f32>;
@group(0) @binding(2) var<storage, read_write> bin_out: array<f32>;
@group(0) @binding(3) var<uniform> bin_p: BinaryParams;

@compute @workgroup_size(64)
fn binary(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let i = (wid.y * nwg.x + wid.x) * 64u + li;
  if (i >= bin_p.n) { return; }
  let c = coords(i, bin_p.d1, bin_p.d2, bin_p.d3);
  let x = bin_a[dot(c, vec4<u32>(bin_p.a0, bin_p.a1, bin_p.a2, bin_p.a3))];
  let y = bin_b[dot(c, vec4<u32>(bin_p.b0, bin_p.b1, bin_p.b2, bin_p.b3))];
  switch OP {
    case 0u: { bin_out[i] = bin_p.alpha * (x + y); }
    case 1u: { bin_out[i] = bin_p.alpha * (x - y); }
    default: { bin_out[i] = bin_p.alpha * (x * y); }
  }
}

@group(0) @binding(0) var<storage, read> scale_x: array<f32>;
@group(0) @binding(1) var<storage, read_write> scale_out: array<f32>;
@group(0) @binding(2) var<uniform> scale_p: ScaleParams;

@compute @workgroup_size(64)
fn scale(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let i = (wid.y * nwg.x + wid.x) * 64u + li;
  if (i < scale_p.n) { scale_out[i] = scale_p.alpha * scale_x[i] + scale_p.beta; }
}

@group(0) @binding(0) var<storage, read> exp_a: array<f32>;
@group(0) @binding(1) var<storage, read_write> exp_out: array<f32>;
@group(0) @binding(2) var<uniform> exp_p: ExpandParams;

@compute @workgroup_size(64)
fn expand(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let i = (wid.y * nwg.x + wid.x) * 64u + li;
  if (i >= exp_p.n) { return; }
  let c = coords(i, exp_p.d1, exp_p.d2, exp_p.d3);
  exp_out[i] = exp_p.alpha * exp_a[dot(c, vec4<u32>(exp_p.a0, exp_p.a1, exp_p.a2, exp_p.a3))];
}
