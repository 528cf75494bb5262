//! Dynamic work distribution between the threads that run one kernel call.
//!
//! A parallel kernel cuts its work into items fixed by the call's shapes alone (row chunks,
//! column groups, element ranges, slices of k) and every thread running the call takes the next
//! item from one counter in linear memory until none is left. With the threaded build the
//! counter is in the shared memory, so the main thread and the helper thread (src/compute/wasm.ts)
//! share it: a thread that a busy core slows down simply takes fewer items. Which thread runs an
//! item never changes what the item computes, so the results are bit-identical however the items
//! fall, and identical to one thread running them all.
//!
//! The host resets the counter (`cdvae_par_reset`) before each call of a parallel kernel, then
//! calls it on every thread with the same arguments; it waits for every thread that entered the
//! call before it reads the output or starts the next call.

use core::sync::atomic::{AtomicU32, Ordering::Relaxed};

/// Index of the next unclaimed item of the current call.
static NEXT: AtomicU32 = AtomicU32::new(0);

/// Starts a new parallel call: no item is claimed yet.
#[no_mangle]
pub extern "C" fn cdvae_par_reset() {
    NEXT.store(0, Relaxed);
}

/// Claims the next item of a call with `items` items; `None` once every item is taken. (The
/// counter's updates need no ordering: the host's job hand-over orders the data.)
#[inline]
pub fn claim(items: usize) -> Option<usize> {
    let i = NEXT.fetch_add(1, Relaxed) as usize;
    (i < items).then_some(i)
}

/// Runs `f(state, i)` for every item `i < items` that this thread claims. The per-thread `state`
/// (scratch space, packed operands) is made by `init` on the first claim only, so a thread that
/// arrives when every item is taken does no set-up work either.
pub fn each<S>(items: usize, init: impl FnOnce() -> S, mut f: impl FnMut(&mut S, usize)) {
    let Some(mut i) = claim(items) else { return };
    let mut state = init();
    loop {
        f(&mut state, i);
        match claim(items) {
            Some(j) => i = j,
            None => return,
        }
    }
}

/// Runs `f(lo, hi)` for every range `[lo, hi)` of `[0, n)` in steps of `step` that this thread
/// claims (the last range may be shorter).
pub fn ranges(n: usize, step: usize, mut f: impl FnMut(usize, usize)) {
    let step = step.max(1);
    each(n.div_ceil(step), || (), |_, i| {
        let lo = i * step;
        f(lo, (lo + step).min(n));
    });
}

/// Elements per item of the elementwise kernels (a multiple of 16, so the four-lane loops see the
/// same lanes in every item as over the whole array).
pub const ELEMS: usize = 1 << 15;

/// Rows per item of the row-wise kernels, for rows of `c` elements: about `ELEMS` elements.
pub fn rows_per_item(c: usize) -> usize {
    (ELEMS / c.max(1)).max(1)
}
