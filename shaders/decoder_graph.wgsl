// decoder_graph.wgsl: CDVAE's decoder graph (GemNet-T otf_graph, radius_graph_pbc): per receiver
// atom, the k nearest (sender, image) pairs over the 27 images S ∈ {−1, 0, 1}³, as the wasm
// core's neighborListMany(…, { images: "cdvae", maxNeighbors: k }) (wasm/src/neighbors/).
// in:  frac [N, 3] f32 (as given, not wrapped), crystal [N] u32 (each atom's crystal),
//      offsets [B + 1] u32 (crystal b owns atoms offsets[b]..offsets[b + 1]),
//      lattices [B, 9] f32 (rows = vectors)
// out: edges [N, K, 2] u32: (global sender j, image code s = 9(S₀+1) + 3(S₁+1) + (S₂+1)),
//      geom [N, K, 4] f32: (r_ij = (f_j − f_i + S)·L, |r_ij|), count [N] u32 (≤ k);
//      slots count[i]..K−1 of a row hold sender 0xffffffff and zeros
// uniforms: n (atoms), k (cap, ≤ K), r2 (cutoff², kept when 1e-4 < d² ≤ r2)
// consts: K (table width and private list size; ≤ 32 keeps the list in registers)
// one invocation per receiver; workgroup 64, 2-D grid linearised
//
// Order: d² ascending, ties (equal f32 d²) by (sender, image code) — the wasm core's order
// (its ties are distances within 1e-8 Å; f32 cannot resolve that, so only exactly equal f32
// values tie here). Candidates arrive in ascending (sender, image) order, so an insertion that
// moves only past strictly larger d² keeps that tie-break without comparing keys.

const K: u32 = 32u;
/// CDVAE drops pairs with d² ≤ this (Å²): the atom itself and coincident atoms.
const MIN_D2: f32 = 1e-4;
const NONE: u32 = 0xffffffffu;

struct GraphParams { n: u32, k: u32, r2: f32 }

@group(0) @binding(0) var<storage, read> frac: array<f32>;
@group(0) @binding(1) var<storage, read> crystal: array<u32>;
@group(0) @binding(2) var<storage, read> offsets: array<u32>;
@group(0) @binding(3) var<storage, read> lattices: array<f32>;
@group(0) @binding(4) var<storage, read_write> edges: array<u32>;
@group(0) @binding(5) var<storage, read_write> geom: array<f32>;
@group(0) @binding(6) var<storage, read_write> count: array<u32>;
@group(0) @binding(7) var<uniform> p: GraphParams;

fn image_of(s: u32) -> vec3<f32> {
  return vec3<f32>(f32(s / 9u), f32(s / 3u % 3u), f32(s % 3u)) - vec3<f32>(1.0);
}

fn frac_at(i: u32) -> vec3<f32> {
  return vec3<f32>(frac[3u * i], frac[3u * i + 1u], frac[3u * i + 2u]);
}

@compute @workgroup_size(64)
fn decoder_graph(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let i = (wid.y * nwg.x + wid.x) * 64u + li;
  if (i >= p.n) { return; }
  let b = crystal[i];
  let a0 = offsets[b];
  let a1 = offsets[b + 1u];
  let L = mat3x3<f32>(
    vec3<f32>(lattices[9u * b], lattices[9u * b + 1u], lattices[9u * b + 2u]),
    vec3<f32>(lattices[9u * b + 3u], lattices[9u * b + 4u], lattices[9u * b + 5u]),
    vec3<f32>(lattices[9u * b + 6u], lattices[9u * b + 7u], lattices[9u * b + 8u]),
  );
  let fi = frac_at(i);
  let k = min(p.k, K);

  // The list so far, nearest first: d² and key = (j − a0)·27 + s.
  var best_d2: array<f32, K>;
  var best_key: array<u32, K>;
  var cnt = 0u;
  for (var j = a0; j < a1; j++) {
    let df = frac_at(j) - fi;
    for (var s = 0u; s < 27u; s++) {
      let v = L * (df + image_of(s)); // L's columns are the lattice vectors: v = Σ_c f_c · L_c
      let d2 = dot(v, v);
      if (d2 <= MIN_D2 || d2 > p.r2) { continue; }
      if (cnt == k && (k == 0u || d2 >= best_d2[k - 1u])) { continue; }
      var q = cnt;
      if (cnt < k) { cnt++; } else { q = k - 1u; }
      while (q > 0u && best_d2[q - 1u] > d2) {
        best_d2[q] = best_d2[q - 1u];
        best_key[q] = best_key[q - 1u];
        q--;
      }
      best_d2[q] = d2;
      best_key[q] = (j - a0) * 27u + s;
    }
  }

  count[i] = cnt;
  for (var t = 0u; t < K; t++) {
    let e = i * K + t;
    if (t < cnt) {
      let key = best_key[t];
      let j = a0 + key / 27u;
      let v = L * (frac_at(j) - fi + image_of(key % 27u));
      edges[2u * e] = j;
      edges[2u * e + 1u] = key % 27u;
      geom[4u * e] = v.x;
      geom[4u * e + 1u] = v.y;
      geom[4u * e + 2u] = v.z;
      geom[4u * e + 3u] = sqrt(best_d2[t]);
    } else {
      edges[2u * e] = NONE;
      edges[2u * e + 1u] = 0u;
      geom[4u * e] = 0.0;
      geom[4u * e + 1u] = 0.0;
      geom[4u * e + 2u] = 0.0;
      geom[4u * e + 3u] = 0.0;
    }
  }
}
