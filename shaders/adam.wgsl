// adam.wgsl: one fused Adam step with gradient clipping by value and decoupled weight decay
// w [n] (updated), g [n], m [n], v [n] (updated): gc = clamp(g, −clip, clip);
// m = b1·m + (1−b1)·gc; v = b2·v + (1−b2)·gc²; w −= lr·((m/bc1) / (sqrt(v/bc2) + eps) + wd·w)
// bc1 = 1 − b1^t and bc2 = 1 − b2^t come from the host. One invocation per element; workgroup 64

struct AdamParams { n: u32, lr: f32, b1: f32, b2: f32, eps: f32, bc1: f32, bc2: f32, clip: f32, wd: f32 }

@group(0) @binding(0) var<storage, read_write> w: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> m: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
@group(0) @binding(4) var<uniform> p: AdamParams;

@compute @workgroup_size(64)
fn adam(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let i = (wid.y * nwg.x + wid.x) * 64u + li;
  if (i >= p.n) { return; }
  let gc = clamp(g[i], -p.clip, p.clip);
  let mi = p.b1 * m[i] + (1.0 - p.b1) * gc;
  let vi = p.b2 * v[i] + (1.0 - p.b2) * gc * gc;
  m[i] = mi;
  v[i] = vi;
  w[i] = w[i] - p.lr * ((mi / p.bc1) / (sqrt(vi / p.bc2) + p.eps) + p.wd * w[i]);
}
