// unary.wgsl: activations and their backward
// unary:          x [n] → out [n] = act(x)
// unary_backward: g [n], x [n] (pre-activation) → out [n] = g·act′(x)
// consts: ACT (0 none, 1 relu, 2 silu, 3 sigmoid, 4 softplus, 5 sin, 6 exp, 7 ssilu = silu/0.6)
// one invocation per element; workgroup 64, 2-D grid linearised

const ACT: u32 = 0u;

struct UnaryParams { n: u32 }

fn sigm(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }

// v reduced to [−π, π] (Cody–Waite, 2π = 6.28125 + 1.9353072e-3), where WGSL bounds sin/cos's error.
fn red(v: f32) -> f32 { let q = round(v * 0.15915494); return (v - q * 6.28125) - q * 1.9353072e-3; }

fn act1(v: f32) -> f32 {
  switch ACT {
    case 1u: { return max(v, 0.0); }
    case 2u: { return v * sigm(v); }
    case 3u: { return sigm(v); }
    case 4u: { return select(max(v, 0.0) + log(1.0 + exp(-abs(v))), v, v > 20.0); }
    case 5u: { return sin(red(v)); }
    case 6u: { return exp(v); }
    case 7u: { return v * sigm(v) * 1.6666666; }
    default: { return v; }
  }
}

fn dact1(v: f32) -> f32 {
  switch ACT {
    case 1u: { return select(0.0, 1.0, v > 0.0); }
    case 2u: { let s = sigm(v); return s * (1.0 + v * (1.0 - s)); }
    case 3u: { let s = sigm(v); return s * (1.0 - s); }
    case 4u: { return sigm(v); }
    case 5u: { return cos(red(v)); }
    case 6u: { return exp(v); }
    case 7u: { let s = sigm(v); return s * (1.0 + v * (1.0 - s)) * 1.6666666; }
    default: { return 1.0; }
  }
}

@group(0) @binding(0) var<storage, read> un_x: array<f32>;
@group(0) @binding(1) var<storage, read_write> un_out: array<f32>;
@group(0) @binding(2) var<uniform> un_p: UnaryParams;

@compute @workgroup_size(64)
fn unary(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let i = (wid.y * nwg.x + wid.x) * 64u + li;
  if (i < un_p.n) { un_out[i] = act1(un_x[i]); }
}

@group(0) @binding(0) var<storage, read> ub_g: array<f32>;
@group(0) @binding(1) var<storage, read> ub_x: array<f32>;
@group(0) @binding(2) var<storage, read_write> ub_out: array<f32>;
@group(0) @binding(3) var<uniform> ub_p: UnaryParams;

@compute @workgroup_size(64)
fn unary_backward(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let i = (wid.y * nwg.x + wid.x) * 64u + li;
  if (i < ub_p.n) { ub_out[i] = ub_g[i] * dact1(ub_x[i]); }
}
