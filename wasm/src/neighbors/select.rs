//! The k nearest candidates of one receiver, nearest first, with a deterministic tie-break.

use super::{Edge, TIE_TOL};
use std::cmp::Ordering;

/// Keeps the `k` nearest edges of `c`, ordered by distance; distances within [`TIE_TOL`] of
/// their neighbour in sorted order form one tie group, ordered by (sender, image).
///
/// Groups are the runs of the distance-sorted list whose consecutive gaps are ≤ TIE_TOL, so
/// the rule is a pure function of the candidate set (no dependence on enumeration order).
pub(super) fn nearest_first(c: &mut Vec<Edge>, k: usize, keys: &mut Vec<u64>) {
    if k == 0 {
        c.clear();
        return;
    }
    let dist = |e: &Edge| e.d2.sqrt();
    if c.len() > k {
        // The k-th smallest d² from 8-byte keys (d² ≥ 0, so bit order is numeric order).
        keys.clear();
        keys.extend(c.iter().map(|e| e.d2.to_bits()));
        let (_, kth, above) = keys.select_nth_unstable(k - 1);
        let mut t2 = f64::from_bits(*kth);
        // Extend through everything chained to it by gaps ≤ TIE_TOL (only keys above the k-th
        // can join), then keep d² ≤ t2.
        loop {
            let bound = (t2.sqrt() + TIE_TOL).powi(2);
            let grown = above
                .iter()
                .map(|&b| f64::from_bits(b))
                .filter(|&q| q > t2 && q <= bound)
                .fold(t2, f64::max);
            if grown <= t2 {
                break;
            }
            t2 = grown;
        }
        c.retain(|e| e.d2 <= t2);
    }
    c.sort_unstable_by(by_exact);
    let mut start = 0;
    while start < c.len() {
        let mut end = start + 1;
        while end < c.len() && dist(&c[end]) - dist(&c[end - 1]) <= TIE_TOL {
            end += 1;
        }
        if end - start > 1 {
            c[start..end].sort_unstable_by_key(|a| (a.j, a.s));
        }
        start = end;
    }
    c.truncate(k);
}

/// Exact distance, then (sender, image): a total order.
fn by_exact(a: &Edge, b: &Edge) -> Ordering {
    a.d2.total_cmp(&b.d2).then_with(|| (a.j, a.s).cmp(&(b.j, b.s)))
}
