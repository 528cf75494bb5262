// reduce.wgsl: full sum/mean and the reverse of broadcasting
// sum_all: x [n] → out [1] = Σx (÷ n when MEAN = 1); ONE workgroup of 256: each invocation sums a
//          strided slice, then a fixed tree in workgroup memory (deterministic order)
// sum_to:  x (dims d·r) → out [n]: out[i] = Σ over the reduced dims (sizes r0..r3, strides q0..q3)
//          of x at base(i) = coords(i over d0..d3)·(a0..a3); one invocation per output, workgroup 64
// consts: MEAN

const MEAN: u32 = 0u;

struct SumParams { n: u32 }
struct SumToParams {
  d0: u32, d1: u32, d2: u32, d3: u32, a0: u32, a1: u32, a2: u32, a3: u32,
  r0: u32, r1: u32, r2: u32, r3: u32, q0: u32, q1: u32, q2: u32, q3: u32, n: u32, nr: u32,
}

@group(0) @binding(0) var<storage, read> sa_x: array<f32>;
@group(0) @binding(1) var<storage, read_write> sa_out: array<f32>;
@group(0) @binding(2) var<uniform> sa_p: SumParams;

var<workgroup> partial: array<f32, 256>;

@compute @workgroup_size(256)
fn sum_all(@builtin(local_invocation_index) li: u32) {
  var s = 0.0;
  for (var i = li; i < sa_p.n; i += 256u) { s += sa_x[i]; }
  partial[li] = s;
  workgroupBarrier();
  for (var w = 128u; w > 0u; w /= 2u) {
    if (li < w) { partial[li] += partial[li + w]; }
    workgroupBarrier();
  }
  if (li == 0u) { sa_out[0] = select(partial[0], partial[0] / f32(sa_p.n), MEAN == 1u); }
}

@group(0) @binding(0) var<storage, read> st_x: array<f32>;
@group(0) @binding(1) var<storage, read_write> st_out: array<f32>;
@group(0) @binding(2) var<uniform> st_p: SumToParams;

@compute @workgroup_size(64)
fn sum_to(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let i = (wid.y * nwg.x + wid.x) * 64u + li;
  if (i >= st_p.n) { return; }
  let c3 = i % st_p.d3;
  let t = i / st_p.d3;
  let c = vec4<u32>(t / (st_p.d2 * st_p.d1), (t / st_p.d2) % st_p.d1, t % st_p.d2, c3);
  let base = dot(c, vec4<u32>(st_p.a0, st_p.a1, st_p.a2, st_p.a3));
  let q = vec4<u32>(st_p.q0, st_p.q1, st_p.q2, st_p.q3);
  var s = 0.0;
  for (var j = 0u; j < st_p.nr; j++) {
    let u = j / st_p.r3;
    let rc = vec4<u32>(u / (st_p.r2 * st_p.r1), (u / st_p.r2) % st_p.r1, u % st_p.r2, j % st_p.r3);
    s += st_x[base + dot(rc, q)];
  }
  st_out[i] = s;
}
