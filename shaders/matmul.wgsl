// matmul.wgsl: out = act(a·b + bias), register-blocked: each invocation computes 16 rows × 16 columns
// in:  a [M, K] f32, b [K, N] f32 (read as vec4, N % 4 == 0), bias [N] (used when BIAS = 1)
// out: out [M, N] f32 (as vec4), pre [M, N] = a·b + bias before the activation (written when PRE = 1)
// consts: ACT (0 none, 1 relu, 2 silu, 3 sigmoid, 4 softplus), BIAS, PRE
// workgroup 8×8: x over 16-column blocks, y over 16-row blocks; out-of-range rows/columns are
// clamped for loads and skipped for stores, so the inner loop has no branches.
// Doctrine (measured on llvmpipe): register blocking and a fused epilogue beat shared-memory tiling;
// 16×16 blocks ran ~1.4× faster than 8×16 here (bench/RESULTS.md, "Compute runtime").

const ACT: u32 = 0u;
const BIAS: u32 = 0u;
const PRE: u32 = 0u;

struct MatmulParams { m: u32, n: u32, k: u32 }

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> bias: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> pre: array<vec4<f32>>;
@group(0) @binding(5) var<uniform> p: MatmulParams;

fn act4(v: vec4<f32>) -> vec4<f32> {
  switch ACT {
    case 1u: { return max(v, vec4<f32>(0.0)); }
    case 2u: { return v / (1.0 + exp(-v)); }
    case 3u: { return 1.0 / (1.0 + exp(-v)); }
    case 4u: { return select(max(v, vec4<f32>(0.0)) + log(1.0 + exp(-abs(v))), v, v > vec4<f32>(20.0)); }
    default: { return v; }
  }
}

fn store(row: u32, col: u32, n4: u32, acc: vec4<f32>) {
  if (row >= p.m || col >= n4) { return; }
  var v = acc;
  if (BIAS == 1u) { v += bias[col]; }
  let i = row * n4 + col;
  if (PRE == 1u) { pre[i] = v; }
  out[i] = act4(v);
}

@compute @workgroup_size(8, 8)
fn matmul(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n4 = p.n / 4u;
  let col = gid.x * 4u;
  let row = gid.y * 16u;
  if (col >= n4 || row >= p.m) { return; }
  let c0 = min(col + 0u, n4 - 1u);
  let c1 = min(col + 1u, n4 - 1u);
  let c2 = min(col + 2u, n4 - 1u);
  let c3 = min(col + 3u, n4 - 1u);
  let r0 = min(row + 0u, p.m - 1u) * p.k;
  let r1 = min(row + 1u, p.m - 1u) * p.k;
  let r2 = min(row + 2u, p.m - 1u) * p.k;
  let r3 = min(row + 3u, p.m - 1u) * p.k;
  let r4 = min(row + 4u, p.m - 1u) * p.k;
  let r5 = min(row + 5u, p.m - 1u) * p.k;
  let r6 = min(row + 6u, p.m - 1u) * p.k;
  let r7 = min(row + 7u, p.m - 1u) * p.k;
  let r8 = min(row + 8u, p.m - 1u) * p.k;
  let r9 = min(row + 9u, p.m - 1u) * p.k;
  let r10 = min(row + 10u, p.m - 1u) * p.k;
  let r11 = min(row + 11u, p.m - 1u) * p.k;
  let r12 = min(row + 12u, p.m - 1u) * p.k;
  let r13 = min(row + 13u, p.m - 1u) * p.k;
  let r14 = min(row + 14u, p.m - 1u) * p.k;
  let r15 = min(row + 15u, p.m - 1u) * p.k;
  var acc0_0 = vec4<f32>(0.0); var acc0_1 = vec4<f32>(0.0); var acc0_2 = vec4<f32>(0.0); var acc0_3 = vec4<f32>(0.0);
  var acc1_0 = vec4<f32>(0.0); var acc1_1 = vec4<f32>(0.0); var acc1_2 = vec4<f32>(0.0); var acc1_3 = vec4<f32>(0.0);
  var acc2_0 = vec4<f32>(0.0); var acc2_1 = vec4<f32>(0.0); var acc2_2 = vec4<f32>(0.0); var acc2_3 = vec4<f32>(0.0);
  var acc3_0 = vec4<f32>(0.0); var acc3_1 = vec4<f32>(0.0); var acc3_2 = vec4<f32>(0.0); var acc3_3 = vec4<f32>(0.0);
  var acc4_0 = vec4<f32>(0.0); var acc4_1 = vec4<f32>(0.0); var acc4_2 = vec4<f32>(0.0); var acc4_3 = vec4<f32>(0.0);
  var acc5_0 = vec4<f32>(0.0); var acc5_1 = vec4<f32>(0.0); var acc5_2 = vec4<f32>(0.0); var acc5_3 = vec4<f32>(0.0);
  var acc6_0 = vec4<f32>(0.0); var acc6_1 = vec4<f32>(0.0); var acc6_2 = vec4<f32>(0.0); var acc6_3 = vec4<f32>(0.0);
  var acc7_0 = vec4<f32>(0.0); var acc7_1 = vec4<f32>(0.0); var acc7_2 = vec4<f32>(0.0); var acc7_3 = vec4<f32>(0.0);
  var acc8_0 = vec4<f32>(0.0); var acc8_1 = vec4<f32>(0.0); var acc8_2 = vec4<f32>(0.0); var acc8_3 = vec4<f32>(0.0);
  var acc9_0 = vec4<f32>(0.0); var acc9_1 = vec4<f32>(0.0); var acc9_2 = vec4<f32>(0.0); var acc9_3 = vec4<f32>(0.0);
  var acc10_0 = vec4<f32>(0.0); var acc10_1 = vec4<f32>(0.0); var acc10_2 = vec4<f32>(0.0); var acc10_3 = vec4<f32>(0.0);
  var acc11_0 = vec4<f32>(0.0); var acc11_1 = vec4<f32>(0.0); var acc11_2 = vec4<f32>(0.0); var acc11_3 = vec4<f32>(0.0);
  var acc12_0 = vec4<f32>(0.0); var acc12_1 = vec4<f32>(0.0); var acc12_2 = vec4<f32>(0.0); var acc12_3 = vec4<f32>(0.0);
  var acc13_0 = vec4<f32>(0.0); var acc13_1 = vec4<f32>(0.0); var acc13_2 = vec4<f32>(0.0); var acc13_3 = vec4<f32>(0.0);
  var acc14_0 = vec4<f32>(0.0); var acc14_1 = vec4<f32>(0.0); var acc14_2 = vec4<f32>(0.0); var acc14_3 = vec4<f32>(0.0);
  var acc15_0 = vec4<f32>(0.0); var acc15_1 = vec4<f32>(0.0); var acc15_2 = vec4<f32>(0.0); var acc15_3 = vec4<f32>(0.0);
  for (var kk = 0u; kk < p.k; kk++) {
    let bo = kk * n4;
    let b0 = b[bo + c0]; let b1 = b[bo + c1]; let b2 = b[bo + c2]; let b3 = b[bo + c3];
    let a0 = a[r0 + kk];
    acc0_0 += a0 * b0; acc0_1 += a0 * b1; acc0_2 += a0 * b2; acc0_3 += a0 * b3;
    let a1 = a[r1 + kk];
    acc1_0 += a1 * b0; acc1_1 += a1 * b1; acc1_2 += a1 * b2; acc1_3 += a1 * b3;
    let a2 = a[r2 + kk];
    acc2_0 += a2 * b0; acc2_1 += a2 * b1; acc2_2 += a2 * b2; acc2_3 += a2 * b3;
    let a3 = a[r3 + kk];
    acc3_0 += a3 * b0; acc3_1 += a3 * b1; acc3_2 += a3 * b2; acc3_3 += a3 * b3;
    let a4 = a[r4 + kk];
    acc4_0 += a4 * b0; acc4_1 += a4 * b1; acc4_2 += a4 * b2; acc4_3 += a4 * b3;
    let a5 = a[r5 + kk];
    acc5_0 += a5 * b0; acc5_1 += a5 * b1; acc5_2 += a5 * b2; acc5_3 += a5 * b3;
    let a6 = a[r6 + kk];
    acc6_0 += a6 * b0; acc6_1 += a6 * b1; acc6_2 += a6 * b2; acc6_3 += a6 * b3;
    let a7 = a[r7 + kk];
    acc7_0 += a7 * b0; acc7_1 += a7 * b1; acc7_2 += a7 * b2; acc7_3 += a7 * b3;
    let a8 = a[r8 + kk];
    acc8_0 += a8 * b0; acc8_1 += a8 * b1; acc8_2 += a8 * b2; acc8_3 += a8 * b3;
    let a9 = a[r9 + kk];
    acc9_0 += a9 * b0; acc9_1 += a9 * b1; acc9_2 += a9 * b2; acc9_3 += a9 * b3;
    let a10 = a[r10 + kk];
    acc10_0 += a10 * b0; acc10_1 += a10 * b1; acc10_2 += a10 * b2; acc10_3 += a10 * b3;
    let a11 = a[r11 + kk];
    acc11_0 += a11 * b0; acc11_1 += a11 * b1; acc11_2 += a11 * b2; acc11_3 += a11 * b3;
    let a12 = a[r12 + kk];
    acc12_0 += a12 * b0; acc12_1 += a12 * b1; acc12_2 += a12 * b2; acc12_3 += a12 * b3;
    let a13 = a[r13 + kk];
    acc13_0 += a13 * b0; acc13_1 += a13 * b1; acc13_2 += a13 * b2; acc13_3 += a13 * b3;
    let a14 = a[r14 + kk];
    acc14_0 += a14 * b0; acc14_1 += a14 * b1; acc14_2 += a14 * b2; acc14_3 += a14 * b3;
    let a15 = a[r15 + kk];
    acc15_0 += a15 * b0; acc15_1 += a15 * b1; acc15_2 += a15 * b2; acc15_3 += a15 * b3;
  }
  store(row + 0u, col + 0u, n4, acc0_0);
  store(row + 0u, col + 1u, n4, acc0_1);
  store(row + 0u, col + 2u, n4, acc0_2);
  store(row + 0u, col + 3u, n4, acc0_3);
  store(row + 1u, col + 0u, n4, acc1_0);
  store(row + 1u, col + 1u, n4, acc1_1);
  store(row + 1u, col + 2u, n4, acc1_2);
  store(row + 1u, col + 3u, n4, acc1_3);
  store(row + 2u, col + 0u, n4, acc2_0);
  store(row + 2u, col + 1u, n4, acc2_1);
  store(row + 2u, col + 2u, n4, acc2_2);
  store(row + 2u, col + 3u, n4, acc2_3);
  store(row + 3u, col + 0u, n4, acc3_0);
  store(row + 3u, col + 1u, n4, acc3_1);
  store(row + 3u, col + 2u, n4, acc3_2);
  store(row + 3u, col + 3u, n4, acc3_3);
  store(row + 4u, col + 0u, n4, acc4_0);
  store(row + 4u, col + 1u, n4, acc4_1);
  store(row + 4u, col + 2u, n4, acc4_2);
  store(row + 4u, col + 3u, n4, acc4_3);
  store(row + 5u, col + 0u, n4, acc5_0);
  store(row + 5u, col + 1u, n4, acc5_1);
  store(row + 5u, col + 2u, n4, acc5_2);
  store(row + 5u, col + 3u, n4, acc5_3);
  store(row + 6u, col + 0u, n4, acc6_0);
  store(row + 6u, col + 1u, n4, acc6_1);
  store(row + 6u, col + 2u, n4, acc6_2);
  store(row + 6u, col + 3u, n4, acc6_3);
  store(row + 7u, col + 0u, n4, acc7_0);
  store(row + 7u, col + 1u, n4, acc7_1);
  store(row + 7u, col + 2u, n4, acc7_2);
  store(row + 7u, col + 3u, n4, acc7_3);
  store(row + 8u, col + 0u, n4, acc8_0);
  store(row + 8u, col + 1u, n4, acc8_1);
  store(row + 8u, col + 2u, n4, acc8_2);
  store(row + 8u, col + 3u, n4, acc8_3);
  store(row + 9u, col + 0u, n4, acc9_0);
  store(row + 9u, col + 1u, n4, acc9_1);
  store(row + 9u, col + 2u, n4, acc9_2);
  store(row + 9u, col + 3u, n4, acc9_3);
  store(row + 10u, col + 0u, n4, acc10_0);
  store(row + 10u, col + 1u, n4, acc10_1);
  store(row + 10u, col + 2u, n4, acc10_2);
  store(row + 10u, col + 3u, n4, acc10_3);
  store(row + 11u, col + 0u, n4, acc11_0);
  store(row + 11u, col + 1u, n4, acc11_1);
  store(row + 11u, col + 2u, n4, acc11_2);
  store(row + 11u, col + 3u, n4, acc11_3);
  store(row + 12u, col + 0u, n4, acc12_0);
  store(row + 12u, col + 1u, n4, acc12_1);
  store(row + 12u, col + 2u, n4, acc12_2);
  store(row + 12u, col + 3u, n4, acc12_3);
  store(row + 13u, col + 0u, n4, acc13_0);
  store(row + 13u, col + 1u, n4, acc13_1);
  store(row + 13u, col + 2u, n4, acc13_2);
  store(row + 13u, col + 3u, n4, acc13_3);
  store(row + 14u, col + 0u, n4, acc14_0);
  store(row + 14u, col + 1u, n4, acc14_1);
  store(row + 14u, col + 2u, n4, acc14_2);
  store(row + 14u, col + 3u, n4, acc14_3);
  store(row + 15u, col + 0u, n4, acc15_0);
  store(row + 15u, col + 1u, n4, acc15_1);
  store(row + 15u, col + 2u, n4, acc15_2);
  store(row + 15u, col + 3u, n4, acc15_3);
}
