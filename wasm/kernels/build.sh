#!/usr/bin/env bash
# Builds the compute kernels into wasm/kernels/pkg/: a raw cdylib (no wasm-bindgen;
# src/compute/wasm.ts is the wrapper) with SIMD128 and relaxed SIMD, by Debian's Rust 1.96, twice:
#   cdvae_kernels.wasm     one thread, against the wasm32 std that tools/setup-wasm.sh put into the
#                          sysroot;
#   cdvae_kernels_mt.wasm  for threads: +atomics,+bulk-memory, an imported shared memory, and a std
#                          built for those features here (-Zbuild-std, vendored sources, offline;
#                          about 90 s the first time).
# The bytes are reproducible: absolute paths are remapped, lock files are used, debug info stripped.
#
# Usage: bash wasm/kernels/build.sh           rebuild wasm/kernels/pkg/
#        bash wasm/kernels/build.sh --check   rebuild into a temporary folder; exit 1 if it differs
#                                             from the committed pkg/ (CI)
# Setup (once per machine): bash tools/setup-wasm.sh
set -euo pipefail

KDIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TARGET=wasm32-unknown-unknown
NAME=cdvae_kernels

check=0
for arg in "$@"; do
  case "$arg" in
    --check) check=1 ;;
    *) echo "build.sh: unknown option \"$arg\" (use --check)" >&2; exit 2 ;;
  esac
done

export PATH="/usr/bin:/bin:$PATH"
export RUSTC=/usr/bin/rustc CARGO=/usr/bin/cargo
unset RUSTUP_TOOLCHAIN RUSTC_WRAPPER CARGO_BUILD_RUSTFLAGS CARGO_ENCODED_RUSTFLAGS || true
# Under wasm/target/, which git, deno fmt and deno lint already ignore.
export CARGO_TARGET_DIR="$KDIR/../target/kernels"
export SOURCE_DATE_EPOCH=0
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
RUST_SRC=/usr/src/rustc-1.96.0
REMAP="--remap-path-prefix=$KDIR=/cdvae/wasm/kernels --remap-path-prefix=$cargo_home=/cargo \
--remap-path-prefix=$RUST_SRC=/rustc/1.96.0"
# Shared memory of at most 4 GiB (all a wasm32 address reaches); the TLS and stack-pointer globals
# are exported so that each worker's instance can get its own stack and TLS block
# (src/compute/_wasm_worker.ts).
MT_FLAGS="-C target-feature=+simd128,+relaxed-simd,+atomics,+bulk-memory,+mutable-globals \
-C link-arg=--shared-memory -C link-arg=--import-memory -C link-arg=--max-memory=4294967296 \
-C link-arg=--export=__wasm_init_tls -C link-arg=--export=__tls_size -C link-arg=--export=__tls_align \
-C link-arg=--export=__stack_pointer"

missing=()
for tool in /usr/bin/rustc /usr/bin/cargo /usr/lib/llvm-22/bin/wasm-ld; do
  [[ -x "$tool" ]] || missing+=("$tool")
done
[[ -d "$(/usr/bin/rustc --print sysroot)/lib/rustlib/$TARGET/lib" ]] || missing+=("std for $TARGET")
if ((${#missing[@]})); then
  echo "build.sh: missing ${missing[*]}: run \"bash tools/setup-wasm.sh\" first" >&2
  exit 1
fi

out="$KDIR/pkg"
if ((check)); then
  out="$(mktemp -d)/pkg"
  trap 'rm -rf "$(dirname "$out")"' EXIT
fi

t0=$SECONDS
mkdir -p "$out"
(cd "$KDIR" && RUSTFLAGS="-C target-feature=+simd128,+relaxed-simd $REMAP" \
  cargo build --quiet --locked --offline --lib --release --target "$TARGET")
cp "$CARGO_TARGET_DIR/$TARGET/release/$NAME.wasm" "$out/$NAME.wasm"
(cd "$KDIR" && RUSTC_BOOTSTRAP=1 RUSTFLAGS="$MT_FLAGS $REMAP" CARGO_TARGET_DIR="$CARGO_TARGET_DIR-mt" \
  cargo build --quiet --locked --offline --lib --release --target "$TARGET" -Zbuild-std=std,panic_abort \
  --config 'source.crates-io.replace-with="rust-src-vendor"' \
  --config "source.rust-src-vendor.directory=\"$RUST_SRC/library/vendor\"")
cp "$CARGO_TARGET_DIR-mt/$TARGET/release/$NAME.wasm" "$out/${NAME}_mt.wasm"
echo "build.sh: built $out in $((SECONDS - t0)) s ($(stat -c %s "$out/$NAME.wasm") and" \
  "$(stat -c %s "$out/${NAME}_mt.wasm") bytes of wasm)" >&2

if ((check)); then
  if diff -r "$KDIR/pkg" "$out" >/dev/null; then
    echo "build.sh: wasm/kernels/pkg/ matches a fresh build" >&2
  else
    echo "build.sh: wasm/kernels/pkg/ differs from a fresh build (run \"bash wasm/kernels/build.sh\" and commit):" >&2
    diff -rq "$KDIR/pkg" "$out" >&2 || true
    exit 1
  fi
fi
