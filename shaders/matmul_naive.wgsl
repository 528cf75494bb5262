// matmul_naive.wgsl: out = act(a·b + bias) for any N (the vec4 kernel in matmul.wgsl needs N % 4 == 0)
// in:  a [M, K] f32, b [K, N] f32, bias [N] (used when BIAS = 1)
// out: out [M, N] f32, pre [M, N] before the activation (written when PRE = 1)
// consts: ACT (0 none, 1 relu, 2 silu, 3 sigmoid, 4 softplus, 5 sin, 6 exp, 7 ssilu = silu/0.6), BIAS, PRE
// one invocation per output element; workgroup 64, 2-D grid linearised

const ACT: u32 = 0u;
const BIAS: u32 = 0u;
const PRE: u32 = 0u;

struct MatmulParams { m: u32, n: u32, k: u32 }

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<storage, read_write> pre: array<f32>;
@group(0) @binding(5) var<uniform> p: MatmulParams;

// v reduced to [−π, π] (Cody–Waite, 2π = 6.28125 + 1.9353072e-3), where WGSL bounds sin/cos's error.
fn red(v: f32) -> f32 { let q = round(v * 0.15915494); return (v - q * 6.28125) - q * 1.9353072e-3; }

fn act1(v: f32) -> f32 {
  switch ACT {
    case 1u: { return max(v, 0.0); }
    case 2u: { return v / (1.0 + exp(-v)); }
    case 3u: { return 1.0 / (1.0 + exp(-v)); }
    case 4u: { return select(max(v, 0.0) + log(1.0 + exp(-abs(v))), v, v > 20.0); }
    case 5u: { return sin(red(v)); }
    case 6u: { return exp(v); }
    case 7u: { return v / (1.0 + exp(-v)) * 1.6666666; }
    default: { return v; }
  }
}

@compute @workgroup_size(64)
fn matmul_naive(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let i = (wid.y * nwg.x + wid.x) * 64u + li;
  if (i >= p.m * p.n) { return; }
  let row = i / p.n;
  let col = i % p.n;
  var s = 0.0;
  for (var kk = 0u; kk < p.k; kk++) { s += a[row * p.k + kk] * b[kk * p.n + col]; }
  if (BIAS == 1u) { s += bias[col]; }
  if (PRE == 1u) { pre[i] = s; }
  out[i] = act1(s);
}
