//! Neighbour lists against a brute-force box search, on random and pathological cells.

use super::*;
use crate::geometry::{heights, image_shift, Batch, Lattice};

/// Small deterministic generator (64-bit LCG) so the tests need no crates.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

type Triple = (u32, u32, [i32; 3]);

fn brute(l: &Lattice, frac: &[f64], r: f64) -> Vec<(Triple, f64)> {
    let h = heights(l);
    let n = frac.len() / 3;
    let m: Vec<i32> = h.iter().map(|h| (r / h).ceil() as i32 + 2).collect();
    let cart: Vec<[f64; 3]> = (0..n)
        .map(|a| crate::geometry::frac_to_cart(&frac[3 * a..3 * a + 3], l))
        .collect();
    let mut out = vec![];
    for i in 0..n {
        for j in 0..n {
            for s0 in -m[0]..=m[0] {
                for s1 in -m[1]..=m[1] {
                    for s2 in -m[2]..=m[2] {
                        let s = [s0, s1, s2];
                        if i == j && s == [0, 0, 0] {
                            continue;
                        }
                        let t = image_shift(s, l);
                        let v: Vec<f64> = (0..3).map(|x| cart[j][x] - cart[i][x] + t[x]).collect();
                        let d2 = v.iter().map(|x| x * x).sum::<f64>();
                        if d2 <= r * r + PYMATGEN_TOL {
                            out.push(((i as u32, j as u32, s), d2.sqrt()));
                        }
                    }
                }
            }
        }
    }
    out.sort_by_key(|a| a.0);
    out
}

fn run(l: &Lattice, frac: &[f64], opts: &NeighborOptions) -> Result<NeighborList, GeomError> {
    let offsets = [0, (frac.len() / 3) as u32];
    let c = Batch::new(l, frac, &offsets)?.crystal(0)?;
    check_options(opts)?;
    let mut b = NeighborBuilder::default();
    b.append(&c, opts)?;
    Ok(b.list)
}

fn triples(nl: &NeighborList) -> Vec<(Triple, f64)> {
    let mut out = triples_in_order(nl);
    out.sort_by_key(|a| a.0);
    out
}

fn triples_in_order(nl: &NeighborList) -> Vec<(Triple, f64)> {
    let mut out = vec![];
    for i in 0..nl.offsets.len() - 1 {
        for e in nl.offsets[i] as usize..nl.offsets[i + 1] as usize {
            let s = nl.images[e];
            out.push(((i as u32, nl.senders[e], s), nl.distances[e]));
        }
    }
    out
}

fn opts(cutoff: f64) -> NeighborOptions {
    NeighborOptions {
        cutoff,
        max_neighbors: None,
        images: ImageSearch::All,
        max_edges: DEFAULT_MAX_EDGES,
        vectors: true,
    }
}

fn random_cell(rng: &mut Lcg) -> (Lattice, Vec<f64>) {
    let mut l = [0.0; 9];
    loop {
        for x in l.iter_mut() {
            *x = rng.next() * 8.0 - 4.0;
        }
        for k in 0..3 {
            l[4 * k] += 3.0;
        }
        if crate::lattice::check_lattice(&l).is_ok() && crate::geometry::volume(&l) > 5.0 {
            break;
        }
    }
    let n = 1 + (rng.next() * 5.0) as usize;
    let frac = (0..3 * n).map(|_| rng.next() * 3.0 - 1.0).collect();
    (l, frac)
}

#[test]
fn matches_brute_force_on_random_cells() {
    let mut rng = Lcg(7);
    for _ in 0..60 {
        let (l, frac) = random_cell(&mut rng);
        let r = 1.0 + rng.next() * 6.0;
        let got = triples(&run(&l, &frac, &opts(r)).unwrap());
        let want = brute(&l, &frac, r);
        assert_eq!(got.len(), want.len(), "lattice {l:?}");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g.0, w.0);
            assert!((g.1 - w.1).abs() < 1e-12);
        }
    }
}

#[test]
fn one_atom_and_needle_cells() {
    // 1 atom in a 1 Å cube: the 7 Å sphere holds 1 432 lattice points besides the origin.
    let cube = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
    let nl = run(&cube, &[0.5, 0.5, 0.5], &opts(7.0)).unwrap();
    assert_eq!(nl.senders.len(), brute(&cube, &[0.5, 0.5, 0.5], 7.0).len());
    // A needle 1e-4 Å thin along a and b refuses quickly instead of running away.
    let needle = [1e-4, 0.0, 0.0, 0.0, 1e-4, 0.0, 0.0, 0.0, 30.0];
    let err = run(&needle, &[0.0, 0.0, 0.0], &opts(7.0)).unwrap_err();
    assert!(matches!(err, GeomError::TooLarge { .. }), "{err:?}");
    let mut small = opts(7.0);
    small.max_edges = 1000;
    let err = run(&cube, &[0.0; 3], &small).unwrap_err();
    assert!(matches!(err, GeomError::TooLarge { .. }), "{err:?}");
}

#[test]
fn cap_keeps_the_nearest_with_index_tie_break() {
    // Simple cubic: 6 nearest at 3 Å, then 12 at 3√2; a cap of 8 keeps the 6 and the first 2
    // of the 12 in (sender, image) order.
    let l = [3.0, 0.0, 0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 3.0];
    let mut o = opts(7.0);
    o.max_neighbors = Some(8);
    let nl = run(&l, &[0.1, 0.2, 0.3], &o).unwrap();
    let t = triples_in_order(&nl);
    assert_eq!(t.len(), 8);
    let first6: Vec<[i32; 3]> = t[..6].iter().map(|x| x.0 .2).collect();
    assert_eq!(
        first6,
        vec![
            [-1, 0, 0],
            [0, -1, 0],
            [0, 0, -1],
            [0, 0, 1],
            [0, 1, 0],
            [1, 0, 0]
        ]
    );
    assert_eq!(t[6].0 .2, [-1, -1, 0]);
    assert_eq!(t[7].0 .2, [-1, 0, -1]);
}

#[test]
fn adjacent27_drops_far_images_and_coincident_atoms() {
    let l = [3.0, 0.0, 0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 3.0];
    let mut o = opts(7.0);
    o.images = ImageSearch::Adjacent27;
    let nl = run(&l, &[0.0, 0.0, 0.0, 0.0, 0.0, 0.0], &o).unwrap();
    // 26 images of each atom per receiver, coincident partner at S = 0 dropped.
    assert_eq!(nl.offsets, vec![0, 52, 104]);
}

#[test]
fn rejects_bad_cutoffs() {
    let l = [3.0, 0.0, 0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 3.0];
    for c in [-1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            run(&l, &[0.0; 3], &opts(c)),
            Err(GeomError::BadParameter { .. })
        ));
    }
    assert_eq!(run(&l, &[0.0; 3], &opts(0.0)).unwrap().senders.len(), 0);
}

#[test]
fn cells_too_fine_to_reserve_per_pair_write_edge_by_edge() {
    // A 0.5 Å cell at 7 Å bounds a pair by ~27 000 images, past the room reserved per pair, so
    // the edges go through the edge-by-edge path: still every edge, mirrored pairs included.
    let cell = [0.5, 0.0, 0.0, 0.1, 0.5, 0.0, 0.0, 0.05, 0.5];
    let frac = [0.1, 0.2, 0.3, 0.6, 0.4, 0.9];
    let got = run(&cell, &frac, &opts(7.0)).unwrap();
    let want = brute(&cell, &frac, 7.0);
    assert_eq!(triples(&got).len(), want.len());
    for (g, w) in triples(&got).iter().zip(&want) {
        assert_eq!(g.0, w.0);
        assert!((g.1 - w.1).abs() < 1e-12);
    }
    // Mirrored pairs: receiver 1 holds receiver 0's edges to it, negated, in the same order.
    let from0: Vec<_> = (got.offsets[0]..got.offsets[1]).filter(|&e| got.senders[e as usize] == 1).collect();
    let to0: Vec<_> = (got.offsets[1]..got.offsets[2]).filter(|&e| got.senders[e as usize] == 0).collect();
    assert_eq!(from0.len(), to0.len());
    for (&a, &b) in from0.iter().zip(&to0) {
        let (a, b) = (a as usize, b as usize);
        assert_eq!(got.images[b], got.images[a].map(|x| -x));
        assert_eq!(got.vectors[b], got.vectors[a].map(|x| -x));
        assert_eq!(got.distances[b].to_bits(), got.distances[a].to_bits());
    }
}

#[test]
fn crystals_too_large_to_mirror_give_the_same_edges() {
    // Above MAX_MIRRORED_ATOMS each pair is enumerated from both ends and the first receiver's
    // own images are copied into the others in the middle of their senders: compare with the
    // per-receiver path of the capped search (no mirroring, no copies), as sets.
    // Thin along c, so that every atom has images of its own within the cutoff.
    let l = [60.0, 0.0, 0.0, 2.0, 58.0, 0.0, 0.3, 0.2, 2.5];
    let mut rng = Lcg(11);
    let frac: Vec<f64> = (0..3 * 520).map(|_| rng.next()).collect();
    let all = run(&l, &frac, &opts(3.0)).unwrap();
    let mut capped = opts(3.0);
    capped.max_neighbors = Some(1 << 20);
    let want = triples(&run(&l, &frac, &capped).unwrap());
    let got = triples(&all);
    assert!(got.len() > 3000, "{}", got.len());
    let own = got.iter().filter(|((i, j, _), _)| i == j).count();
    assert!(own >= 2 * 520, "{own}");
    assert_eq!(got, want);
    // Within each receiver, senders in order (the documented order without a cap).
    for i in 0..520 {
        let (a, b) = (all.offsets[i] as usize, all.offsets[i + 1] as usize);
        assert!(all.senders[a..b].windows(2).all(|w| w[0] <= w[1]), "receiver {i}");
    }
}
