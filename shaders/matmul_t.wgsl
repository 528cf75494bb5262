// matmul_t.wgsl: products with one operand read transposed, for the matmul backward
//   matmul_nt: out[M, N] = a[M, K]·b[N, K]ᵀ          (dx = g·Wᵀ)
//   matmul_tn: out[M, N] (+)= a[K, M]ᵀ·b[K, N]       (dW = xᵀ·g; with ACC = 1 the sums start from
//              what out holds, so a long K split into dispatches over row ranges of a and b gives
//              the same bits as one dispatch)
// in: a, b f32   out: out [M, N] f32   consts: ACC (matmul_tn)
// Each invocation computes a 4 × 4 block of out (8 loads per 16 multiply-adds); out-of-range rows
// and columns are clamped for loads and skipped for stores. Workgroup 64, 2-D grid linearised over
// the ceil(M/4)·ceil(N/4) blocks, row-major. Each element is one sum over k in increasing order.

const ACC: u32 = 0u;

struct MatmulParams { m: u32, n: u32, k: u32 }

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: MatmulParams;

/** First row and column of this invocation's block, or (M, N) when it has none. */
fn block_origin(wid: vec3<u32>, nwg: vec3<u32>, li: u32) -> vec2<u32> {
  let t = (wid.y * nwg.x + wid.x) * 64u + li;
  let nb = (p.n + 3u) / 4u;
  if (t >= ((p.m + 3u) / 4u) * nb) { return vec2<u32>(p.m, p.n); }
  return vec2<u32>((t / nb) * 4u, (t % nb) * 4u);
}

fn store_row(i: u32, col: u32, v: vec4<f32>) {
  if (i >= p.m) { return; }
  for (var j = 0u; j < 4u; j++) {
    if (col + j < p.n) { out[i * p.n + col + j] = v[j]; }
  }
}

/** Row i, columns col..col+3 of out (zeros out of range, and unless ACC = 1). */
fn load_row(i: u32, col: u32) -> vec4<f32> {
  var v = vec4<f32>(0.0);
  if (ACC == 1u && i < p.m) {
    for (var j = 0u; j < 4u; j++) {
      if (col + j < p.n) { v[j] = out[i * p.n + col + j]; }
    }
  }
  return v;
}

@compute @workgroup_size(64)
fn matmul_nt(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let o = block_origin(wid, nwg, li);
  let row = o.x;
  let col = o.y;
  if (row >= p.m) { return; }
  let a0 = min(row, p.m - 1u) * p.k;
  let a1 = min(row + 1u, p.m - 1u) * p.k;
  let a2 = min(row + 2u, p.m - 1u) * p.k;
  let a3 = min(row + 3u, p.m - 1u) * p.k;
  let b0 = min(col, p.n - 1u) * p.k;
  let b1 = min(col + 1u, p.n - 1u) * p.k;
  let b2 = min(col + 2u, p.n - 1u) * p.k;
  let b3 = min(col + 3u, p.n - 1u) * p.k;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var kk = 0u; kk < p.k; kk++) {
    let bv = vec4<f32>(b[b0 + kk], b[b1 + kk], b[b2 + kk], b[b3 + kk]);
    acc0 += a[a0 + kk] * bv;
    acc1 += a[a1 + kk] * bv;
    acc2 += a[a2 + kk] * bv;
    acc3 += a[a3 + kk] * bv;
  }
  store_row(row, col, acc0);
  store_row(row + 1u, col, acc1);
  store_row(row + 2u, col, acc2);
  store_row(row + 3u, col, acc3);
}

@compute @workgroup_size(64)
fn matmul_tn(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let o = block_origin(wid, nwg, li);
  let row = o.x;
  let col = o.y;
  if (row >= p.m) { return; }
  let r0 = row;
  let r1 = min(row + 1u, p.m - 1u);
  let r2 = min(row + 2u, p.m - 1u);
  let r3 = min(row + 3u, p.m - 1u);
  let c0 = col;
  let c1 = min(col + 1u, p.n - 1u);
  let c2 = min(col + 2u, p.n - 1u);
  let c3 = min(col + 3u, p.n - 1u);
  var acc0 = load_row(row, col);
  var acc1 = load_row(row + 1u, col);
  var acc2 = load_row(row + 2u, col);
  var acc3 = load_row(row + 3u, col);
  for (var kk = 0u; kk < p.k; kk++) {
    let ao = kk * p.m;
    let bo = kk * p.n;
    let bv = vec4<f32>(b[bo + c0], b[bo + c1], b[bo + c2], b[bo + c3]);
    acc0 += a[ao + r0] * bv;
    acc1 += a[ao + r1] * bv;
    acc2 += a[ao + r2] * bv;
    acc3 += a[ao + r3] * bv;
  }
  store_row(row, col, acc0);
  store_row(row + 1u, col, acc1);
  store_row(row + 2u, col, acc2);
  store_row(row + 3u, col, acc3);
}
