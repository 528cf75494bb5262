#!/usr/bin/env bash
# Rust checks run by `deno task ci`: the unit tests of the geometry core and clippy, warnings
# denied, over both crates, with Debian's Rust 1.96 (cargo-web, rust-web-clippy).
#
#   wasm/          `cargo test` and `cargo clippy --all-targets` on the host: its algorithm modules
#                  are plain Rust, and the crate is also an rlib for this purpose (wasm/README.md).
#   wasm/kernels/  `cargo clippy` for wasm32-unknown-unknown with the build's target features. The
#                  crate is wasm32 only (SIMD128 intrinsics; `#![cfg(target_arch = "wasm32")]`, so a
#                  host build is empty) and the wasm32 std in the sysroot has no libtest, so it has no
#                  Rust unit tests: tests/compute/wasm_backend_test.ts tests its exports through Deno.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Debian's toolchain, not a rustup proxy that may come first on PATH (as wasm/build.sh does).
export PATH="/usr/bin:/bin:$PATH"
export RUSTC=/usr/bin/rustc CARGO=/usr/bin/cargo
unset RUSTUP_TOOLCHAIN RUSTC_WRAPPER RUSTFLAGS CARGO_BUILD_RUSTFLAGS CARGO_ENCODED_RUSTFLAGS || true
if ! cargo clippy --version >/dev/null 2>&1; then
  echo "rust-checks.sh: cargo clippy is missing: apt-get install rust-web-clippy" >&2
  exit 1
fi

t0=$SECONDS
# Host builds under wasm/target/ (ignored by git, deno fmt and deno lint), apart from the wasm ones.
# The tests are optimised (overflow checks and debug assertions stay on): unoptimised, the brute-force
# comparisons in neighbors/ take about 9 minutes instead of seconds.
(cd "$ROOT/wasm" && CARGO_TARGET_DIR="$ROOT/wasm/target/host" CARGO_PROFILE_TEST_OPT_LEVEL=3 \
  cargo test --quiet --locked)
(cd "$ROOT/wasm" && CARGO_TARGET_DIR="$ROOT/wasm/target/host" \
  cargo clippy --quiet --locked --all-targets -- -D warnings)
(cd "$ROOT/wasm/kernels" && CARGO_TARGET_DIR="$ROOT/wasm/target/kernels-clippy" \
  RUSTFLAGS="-C target-feature=+simd128,+relaxed-simd" \
  cargo clippy --quiet --locked --offline --target wasm32-unknown-unknown -- -D warnings)
echo "rust-checks.sh: cargo test and clippy passed in $((SECONDS - t0)) s" >&2
