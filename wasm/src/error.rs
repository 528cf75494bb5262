//! The one error type of the geometry core.
//!
//! Every variant has a stable numeric `code()` (written into the per-crystal status arrays of the
//! batch exports; 0 means success) and a readable message (`Display`). `src/core/wasm.ts` maps the
//! codes to `GeometryError.kind` in one table, so the two lists must stay in the same order.

use std::fmt;
use std::sync::Mutex;

/// Why a crystal could not be processed.
#[derive(Debug, Clone, PartialEq)]
pub enum GeomError {
    /// A lattice entry or coordinate is NaN or ±Infinity.
    NonFinite { what: &'static str },
    /// The three lattice vectors are (nearly) coplanar or one has zero length.
    DegenerateLattice { volume: f64 },
    /// The crystal has no atoms where atoms are required.
    NoAtoms,
    /// A size or magnitude beyond what the core accepts.
    TooLarge { what: &'static str, value: f64, max: f64 },
    /// An iterative algorithm did not finish within its step limit.
    NoConvergence { algorithm: &'static str, steps: u32 },
    /// Array lengths disagree with each other (a bug in the caller, normally the TS wrapper).
    BadShape { what: &'static str, got: usize, expected: usize },
    /// A parameter (tolerance, cutoff…) is outside its allowed range.
    BadParameter { name: &'static str, value: f64 },
}

impl GeomError {
    /// Stable status code of the variant (1-based; 0 is success).
    pub fn code(&self) -> i32 {
        match self {
            GeomError::NonFinite { .. } => 1,
            GeomError::DegenerateLattice { .. } => 2,
            GeomError::NoAtoms => 3,
            GeomError::TooLarge { .. } => 4,
            GeomError::NoConvergence { .. } => 5,
            GeomError::BadShape { .. } => 6,
            GeomError::BadParameter { .. } => 7,
        }
    }
}

impl fmt::Display for GeomError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GeomError::NonFinite { what } => write!(f, "{what} contain NaN or Infinity"),
            GeomError::DegenerateLattice { volume } => write!(
                f,
                "lattice is singular or degenerate (volume \"{volume:e}\" Å³, vectors coplanar or of zero length)"
            ),
            GeomError::NoAtoms => write!(f, "crystal has no atoms"),
            GeomError::TooLarge { what, value, max } => {
                write!(f, "{what} \"{value:e}\" exceeds the limit \"{max:e}\"")
            }
            GeomError::NoConvergence { algorithm, steps } => {
                write!(f, "{algorithm} did not converge within \"{steps}\" steps")
            }
            GeomError::BadShape { what, got, expected } => {
                write!(f, "{what} has length \"{got}\", expected \"{expected}\"")
            }
            GeomError::BadParameter { name, value } => {
                write!(f, "parameter \"{name}\" is \"{value}\", which is out of range")
            }
        }
    }
}

impl std::error::Error for GeomError {}

/// Message of the first failure of the latest batch call (wasm is single-threaded; the mutex only
/// satisfies `static`).
static LAST_ERROR: Mutex<String> = Mutex::new(String::new());

/// Records `message` as the latest call's error message.
pub fn set_last_error(message: String) {
    if let Ok(mut last) = LAST_ERROR.lock() {
        *last = message;
    }
}

/// Takes the recorded message, leaving an empty one.
pub fn take_last_error() -> String {
    LAST_ERROR.lock().map(|mut last| std::mem::take(&mut *last)).unwrap_or_default()
}

/// A call-level failure (bad shapes, bad parameters): records the message and returns the negated
/// code, which is what batch exports return in that case.
pub fn call_failed(err: GeomError) -> i32 {
    set_last_error(err.to_string());
    -err.code()
}

/// Checks an array length for a batch export.
pub fn expect_len(what: &'static str, got: usize, expected: usize) -> Result<(), GeomError> {
    if got == expected {
        Ok(())
    } else {
        Err(GeomError::BadShape { what, got, expected })
    }
}

/// Runs `f` for crystals `0..status.len()`, writing each one's status code (0 = success) and
/// recording the first failure's message. Returns the number of failures.
///
/// Batch exports return this count (≥ 0) or, for a call-level failure, [`call_failed`]'s negated
/// code (< 0).
pub fn run_batch(status: &mut [i32], mut f: impl FnMut(usize) -> Result<(), GeomError>) -> i32 {
    set_last_error(String::new());
    let mut failures = 0;
    for (i, s) in status.iter_mut().enumerate() {
        *s = match f(i) {
            Ok(()) => 0,
            Err(e) => {
                if failures == 0 {
                    set_last_error(e.to_string());
                }
                failures += 1;
                e.code()
            }
        };
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_nonzero() {
        let all = [
            GeomError::NonFinite { what: "x" },
            GeomError::DegenerateLattice { volume: 0.0 },
            GeomError::NoAtoms,
            GeomError::TooLarge { what: "x", value: 1.0, max: 0.0 },
            GeomError::NoConvergence { algorithm: "x", steps: 1 },
            GeomError::BadShape { what: "x", got: 1, expected: 2 },
            GeomError::BadParameter { name: "x", value: 1.0 },
        ];
        for (i, e) in all.iter().enumerate() {
            assert_eq!(e.code(), i as i32 + 1);
            assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn run_batch_records_the_first_failure() {
        let mut status = [9; 4];
        let n = run_batch(&mut status, |i| match i {
            1 => Err(GeomError::NoAtoms),
            3 => Err(GeomError::DegenerateLattice { volume: 0.0 }),
            _ => Ok(()),
        });
        assert_eq!(n, 2);
        assert_eq!(status, [0, 3, 0, 2]);
        assert_eq!(take_last_error(), "crystal has no atoms");
        assert_eq!(take_last_error(), "");
    }
}
