// decoder_edges.wgsl: GemNet-T's decoder graph and bases on the device, from the neighbour table
// of decoder_graph.wgsl, so a Langevin step needs no host graph (src/model/device/decoder_edges.ts).
// The same graph as the host's buildDecoderGraph (src/nn/gemnet_graph.ts), in the same order:
//   re-symmetrisation (audit D2): table slot (receiver i, sender j, image S) is kept iff j < i, or
//   j = i and S is lexicographically negative (image code < 13); every kept slot gives the edge
//   s = j → t = i (V = −r/D) and its mirror s = i → t = j (image −S, V = +r/D);
//   edges grouped by target t: first t's own kept slots in slot order, then the mirrors into t in
//   (receiver, slot) order — the host's stable counting sort of (all forward, then all mirrors).
// Entry points (workgroup 64, 2-D grids linearised, one invocation per …):
//   edges_degree   … target: in-degree after re-symmetrisation
//   edges_offsets  one workgroup: exclusive scan of the degrees → target offsets [N + 1],
//                  sizes = (E, Kmax = max(1, max degree − 1)), the host's padded triplet width
//   edges_fill     … target: its edges (source, target, V and D) and where each slot's edges went
//   edges_swap     … table slot: the reverse-edge map idSwap
//   triplet_slots  … edge c→a: the other edges b→a into a, padded to Kmax, and cos φ_cab
//   gemnet_rbf     … (edge, radial): envelope(D/c)·exp(coeff·(D/c − μ_k)²)
//   gemnet_cbf     … (edge, slot): √((2l+1)/4π)·P_l(cos φ) for l < S, zero on padding
// The table: edges [N, K, 2] u32 (sender or 0xffffffff for an unused slot, image code
// 9(S₀+1) + 3(S₁+1) + (S₂+1)), geom [N, K, 4] f32 (r = x_j + S·L − x_i, |r|); used slots first.
// range [N, 2] u32: the atoms a0..a1 of each atom's crystal.

const NONE: u32 = 0xffffffffu;

/// The reference's `cell_earlier` rule on image codes: S < 0 lexicographically iff code < 13.
fn kept(j: u32, i: u32, code: u32) -> bool {
  return j < i || (j == i && code < 13u);
}

fn linear(wid: vec3<u32>, nwg: vec3<u32>, li: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * 64u + li;
}

struct TableParams { n: u32, k: u32 }

// ---- edges_degree: edges, range → deg [N]
@group(0) @binding(0) var<storage, read> dg_edges: array<u32>;
@group(0) @binding(1) var<storage, read> dg_range: array<u32>;
@group(0) @binding(2) var<storage, read_write> dg_deg: array<u32>;
@group(0) @binding(3) var<uniform> dg_p: TableParams;

@compute @workgroup_size(64)
fn edges_degree(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let t = linear(wid, nwg, li);
  if (t >= dg_p.n) { return; }
  var d = 0u;
  for (var i = dg_range[2u * t]; i < dg_range[2u * t + 1u]; i++) {
    for (var s = 0u; s < dg_p.k; s++) {
      let q = i * dg_p.k + s;
      let j = dg_edges[2u * q];
      if (j == NONE) { break; }
      let keep = kept(j, i, dg_edges[2u * q + 1u]);
      // Forward edge into t (row t), and mirror into t (sender t).
      if (keep && i == t) { d++; }
      if (keep && j == t) { d++; }
    }
  }
  dg_deg[t] = d;
}

// ---- edges_offsets: deg → offsets [N + 1], sizes [2]; dispatched as one workgroup
struct ScanParams { n: u32 }
@group(0) @binding(0) var<storage, read> of_deg: array<u32>;
@group(0) @binding(1) var<storage, read_write> of_offsets: array<u32>;
@group(0) @binding(2) var<storage, read_write> of_sizes: array<u32>;
@group(0) @binding(3) var<uniform> of_p: ScanParams;

var<workgroup> of_sum: array<u32, 64>;
var<workgroup> of_max: array<u32, 64>;

@compute @workgroup_size(64)
fn edges_offsets(@builtin(local_invocation_index) li: u32) {
  let n = of_p.n;
  let chunk = (n + 63u) / 64u;
  let lo = min(li * chunk, n);
  let hi = min(lo + chunk, n);
  var s = 0u;
  var m = 0u;
  for (var t = lo; t < hi; t++) {
    s += of_deg[t];
    m = max(m, of_deg[t]);
  }
  of_sum[li] = s;
  of_max[li] = m;
  workgroupBarrier();
  if (li == 0u) {
    var acc = 0u;
    var mx = 0u;
    for (var w = 0u; w < 64u; w++) {
      let v = of_sum[w];
      of_sum[w] = acc;
      acc += v;
      mx = max(mx, of_max[w]);
    }
    of_offsets[n] = acc;
    of_sizes[0] = acc;
    of_sizes[1] = max(1u, max(mx, 1u) - 1u);
  }
  workgroupBarrier();
  var at = of_sum[li];
  for (var t = lo; t < hi; t++) {
    of_offsets[t] = at;
    at += of_deg[t];
  }
}

// ---- edges_fill: edges, geom, range, offsets → src [E], tgt [E], egeom [E, 4] (V, D), slot [N·K, 2]
@group(0) @binding(0) var<storage, read> ef_edges: array<u32>;
@group(0) @binding(1) var<storage, read> ef_geom: array<f32>;
@group(0) @binding(2) var<storage, read> ef_range: array<u32>;
@group(0) @binding(3) var<storage, read> ef_offsets: array<u32>;
@group(0) @binding(4) var<storage, read_write> ef_src: array<u32>;
@group(0) @binding(5) var<storage, read_write> ef_tgt: array<u32>;
@group(0) @binding(6) var<storage, read_write> ef_egeom: array<f32>;
@group(0) @binding(7) var<storage, read_write> ef_slot: array<u32>;
@group(0) @binding(8) var<uniform> ef_p: TableParams;

fn fill_edge(p: u32, src: u32, tgt: u32, q: u32, sign: f32) {
  let d = ef_geom[4u * q + 3u];
  ef_src[p] = src;
  ef_tgt[p] = tgt;
  for (var c = 0u; c < 3u; c++) { ef_egeom[4u * p + c] = sign * ef_geom[4u * q + c] / d; }
  ef_egeom[4u * p + 3u] = d;
}

@compute @workgroup_size(64)
fn edges_fill(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let t = linear(wid, nwg, li);
  if (t >= ef_p.n) { return; }
  let k = ef_p.k;
  var p = ef_offsets[t];
  for (var s = 0u; s < k; s++) {
    let q = t * k + s;
    let j = ef_edges[2u * q];
    if (j == NONE) { break; }
    if (kept(j, t, ef_edges[2u * q + 1u])) {
      fill_edge(p, j, t, q, -1.0);
      ef_slot[2u * q] = p;
      p++;
    } else {
      ef_slot[2u * q] = NONE;
    }
  }
  for (var s = 0u; s < k; s++) {
    if (ef_edges[2u * (t * k + s)] == NONE) { ef_slot[2u * (t * k + s)] = NONE; }
  }
  for (var i = ef_range[2u * t]; i < ef_range[2u * t + 1u]; i++) {
    for (var s = 0u; s < k; s++) {
      let q = i * k + s;
      let j = ef_edges[2u * q];
      if (j == NONE) { break; }
      if (j == t && kept(j, i, ef_edges[2u * q + 1u])) {
        fill_edge(p, i, t, q, 1.0); // the mirror of slot q: source i, target j = t
        ef_slot[2u * q + 1u] = p;
        p++;
      }
    }
  }
}

// ---- edges_swap: slot, edges → idswap [E]
@group(0) @binding(0) var<storage, read> es_slot: array<u32>;
@group(0) @binding(1) var<storage, read_write> es_swap: array<u32>;
@group(0) @binding(2) var<uniform> es_p: TableParams;

@compute @workgroup_size(64)
fn edges_swap(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let q = linear(wid, nwg, li);
  if (q >= es_p.n * es_p.k) { return; }
  let f = es_slot[2u * q];
  if (f == NONE) { return; }
  let m = es_slot[2u * q + 1u];
  es_swap[f] = m;
  es_swap[m] = f;
}

// ---- triplet_slots: tgt, offsets, egeom → trip [E, Kmax] (id3_ba), cosines [E, Kmax], counts [E]
struct TripParams { e: u32, kmax: u32 }
@group(0) @binding(0) var<storage, read> tr_tgt: array<u32>;
@group(0) @binding(1) var<storage, read> tr_offsets: array<u32>;
@group(0) @binding(2) var<storage, read> tr_egeom: array<f32>;
@group(0) @binding(3) var<storage, read_write> tr_trip: array<u32>;
@group(0) @binding(4) var<storage, read_write> tr_cos: array<f32>;
@group(0) @binding(5) var<storage, read_write> tr_count: array<u32>;
@group(0) @binding(6) var<uniform> tr_p: TripParams;

@compute @workgroup_size(64)
fn triplet_slots(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let ca = linear(wid, nwg, li);
  if (ca >= tr_p.e) { return; }
  let a = tr_tgt[ca];
  let v = vec3<f32>(tr_egeom[4u * ca], tr_egeom[4u * ca + 1u], tr_egeom[4u * ca + 2u]);
  let base = ca * tr_p.kmax;
  var k = 0u;
  for (var ba = tr_offsets[a]; ba < tr_offsets[a + 1u]; ba++) {
    if (ba == ca) { continue; }
    let w = vec3<f32>(tr_egeom[4u * ba], tr_egeom[4u * ba + 1u], tr_egeom[4u * ba + 2u]);
    tr_trip[base + k] = ba;
    tr_cos[base + k] = clamp(v.x * w.x + v.y * w.y + v.z * w.z, -1.0, 1.0);
    k++;
  }
  tr_count[ca] = k;
  for (var r = k; r < tr_p.kmax; r++) {
    tr_trip[base + r] = 0u;
    tr_cos[base + r] = 0.0;
  }
}

// ---- gemnet_rbf: egeom, centres → rbf [E, R]
struct RbfParams { e: u32, r: u32, p: u32, inv_cutoff: f32, coeff: f32 }
@group(0) @binding(0) var<storage, read> rb_egeom: array<f32>;
@group(0) @binding(1) var<storage, read> rb_centres: array<f32>;
@group(0) @binding(2) var<storage, read_write> rb_out: array<f32>;
@group(0) @binding(3) var<uniform> rb_p: RbfParams;

@compute @workgroup_size(64)
fn gemnet_rbf(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let i = linear(wid, nwg, li);
  if (i >= rb_p.e * rb_p.r) { return; }
  let e = i / rb_p.r;
  let x = rb_egeom[4u * e + 3u] * rb_p.inv_cutoff;
  // GemNet's polynomial envelope: 1 + a·xᵖ + b·xᵖ⁺¹ + c·xᵖ⁺², zero from x = 1 on.
  let p = f32(rb_p.p);
  var env = 0.0;
  if (x < 1.0) {
    var xp = 1.0;
    for (var q = 0u; q < rb_p.p; q++) { xp *= x; }
    env = 1.0 - 0.5 * (p + 1.0) * (p + 2.0) * xp + p * (p + 2.0) * xp * x - 0.5 * p * (p + 1.0) * xp * x * x;
  }
  let t = x - rb_centres[i % rb_p.r];
  rb_out[i] = env * exp(rb_p.coeff * t * t);
}

// ---- gemnet_cbf: cosines, counts → cbf [E, S, Kmax]
struct CbfParams { e: u32, s: u32, kmax: u32 }
@group(0) @binding(0) var<storage, read> cb_cos: array<f32>;
@group(0) @binding(1) var<storage, read> cb_count: array<u32>;
@group(0) @binding(2) var<storage, read_write> cb_out: array<f32>;
@group(0) @binding(3) var<uniform> cb_p: CbfParams;

const INV_4PI: f32 = 0.07957747154594767;

@compute @workgroup_size(64)
fn gemnet_cbf(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let i = linear(wid, nwg, li);
  if (i >= cb_p.e * cb_p.kmax) { return; }
  let e = i / cb_p.kmax;
  let k = i % cb_p.kmax;
  let valid = k < cb_count[e];
  let c = cb_cos[i];
  // Legendre recurrence l·P_l = (2l − 1)·x·P_{l−1} − (l − 1)·P_{l−2}.
  var prev = 1.0;
  var cur = c;
  for (var l = 0u; l < cb_p.s; l++) {
    var pl = 1.0;
    if (l == 1u) {
      pl = c;
    } else if (l >= 2u) {
      let fl = f32(l);
      let next = ((2.0 * fl - 1.0) * c * cur - (fl - 1.0) * prev) / fl;
      prev = cur;
      cur = next;
      pl = next;
    }
    let o = (e * cb_p.s + l) * cb_p.kmax + k;
    cb_out[o] = select(0.0, sqrt((2.0 * f32(l) + 1.0) * INV_4PI) * pl, valid);
  }
}
