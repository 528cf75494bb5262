#!/usr/bin/env bash
# Installs what `wasm/build.sh` needs to rebuild wasm/pkg/, skipping whatever is already in place:
#   1. Debian's Rust 1.96 and LLVM 22's wasm-ld (apt: rustc-web cargo-web rust-web-src lld-22);
#   2. wasm-bindgen-cli and wasm-pack from crates.io (`cargo install --locked`, pinned versions);
#   3. the standard library for wasm32-unknown-unknown, built once from Debian's rust-web-src with
#      -Zbuild-std (std's dependencies from the vendored sources, no network) and copied into
#      rustc's sysroot, where wasm-pack and a plain `cargo build --target wasm32-unknown-unknown`
#      look for it.
# Run as root (apt and /usr/lib/rustlib). Usage: bash tools/setup-wasm.sh [--no-wasm-pack]
#   --no-wasm-pack   skip wasm-pack (build.sh then drives cargo + wasm-bindgen itself; same bytes)
# Environment: CDVAE_WASM_TOOLS   where cargo installs the tools (default /usr/local, so bin/ is on PATH)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUSTC=/usr/bin/rustc
CARGO=/usr/bin/cargo
WASM_LD=/usr/lib/llvm-22/bin/wasm-ld
RUST_SRC=/usr/src/rustc-1.96.0
TARGET=wasm32-unknown-unknown
TOOLS="${CDVAE_WASM_TOOLS:-/usr/local}"
# The CLI must match the crate's exact wasm-bindgen pin (wasm/Cargo.toml "=x.y.z").
WASM_BINDGEN_VERSION="$(sed -n 's/^wasm-bindgen = "=\(.*\)"$/\1/p' "$ROOT/wasm/Cargo.toml")"
WASM_PACK_VERSION=0.15.1
# Flags the sysroot's std is built with; wasm/build.sh uses the same target features.
STD_RUSTFLAGS="-C target-feature=+simd128 --remap-path-prefix=$RUST_SRC=/rustc/1.96.0"

with_pack=1
for arg in "$@"; do
  case "$arg" in
    --no-wasm-pack) with_pack=0 ;;
    *) echo "setup-wasm.sh: unknown option \"$arg\"" >&2; exit 2 ;;
  esac
done
[[ -n "$WASM_BINDGEN_VERSION" ]] || { echo "setup-wasm.sh: no exact wasm-bindgen pin in wasm/Cargo.toml" >&2; exit 1; }

log() { echo "setup-wasm: $*" >&2; }
t0=$SECONDS

# 1. apt packages
missing=()
for p in rustc-web cargo-web rust-web-src lld-22; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}"
fi
for f in "$RUSTC" "$CARGO" "$WASM_LD" "$RUST_SRC/library/Cargo.lock"; do
  [[ -e "$f" ]] || { log "missing $f after installing the apt packages"; exit 1; }
done

# Debian's toolchain first; never a rustup proxy.
export PATH="$TOOLS/bin:/usr/bin:/bin:$PATH" RUSTC CARGO
unset RUSTUP_TOOLCHAIN || true

# 2. cargo-installed tools
install_tool() { # crate version binary [extra cargo install arguments]
  local have
  have="$("$TOOLS/bin/$3" --version 2>/dev/null || true)"
  if [[ "$have" == *" $2"* ]]; then
    log "$1 $2 present"
    return
  fi
  log "installing $1 $2 (cargo install --locked)"
  "$CARGO" install --locked --quiet --root "$TOOLS" "$1" --version "$2" "${@:4}"
}
# Only the `wasm-bindgen` binary, without TLS (the test runner and its download code are not needed).
install_tool wasm-bindgen-cli "$WASM_BINDGEN_VERSION" wasm-bindgen --no-default-features --bin wasm-bindgen
if ((with_pack)); then install_tool wasm-pack "$WASM_PACK_VERSION" wasm-pack; fi

# 3. std for wasm32 in the sysroot
SYSROOT_LIB="$("$RUSTC" --print sysroot)/lib/rustlib/$TARGET/lib"
STAMP="$SYSROOT_LIB/.cdvae-std-stamp"
want_stamp="$("$RUSTC" -vV | tr '\n' ' ') flags=[$STD_RUSTFLAGS]"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want_stamp" ]] && compgen -G "$SYSROOT_LIB/libstd-*.rlib" >/dev/null; then
  log "std for $TARGET present in $SYSROOT_LIB"
else
  log "building std for $TARGET from $RUST_SRC (-Zbuild-std)"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/src" "$work/.cargo"
  cat >"$work/Cargo.toml" <<'EOF'
[package]
name = "cdvae-std-seed"
version = "0.0.0"
edition = "2021"
[lib]
# cdylib + rlib like wasm/: the std rlibs then hold both object code and LTO bitcode.
crate-type = ["cdylib", "rlib"]
[profile.release]
lto = true
codegen-units = 1
panic = "abort"
EOF
  echo 'pub fn seed() -> usize { std::vec![1u8].len() }' >"$work/src/lib.rs"
  cat >"$work/.cargo/config.toml" <<EOF
[source.crates-io]
replace-with = "debian-rust-src-vendor"
[source.debian-rust-src-vendor]
directory = "$RUST_SRC/library/vendor"
[target.$TARGET]
linker = "$WASM_LD"
EOF
  (cd "$work" && RUSTC_BOOTSTRAP=1 RUSTFLAGS="$STD_RUSTFLAGS --remap-path-prefix=$work=/cdvae-std-seed" \
    CARGO_HOME="$work/cargo-home" "$CARGO" build --quiet --release --offline --target "$TARGET" \
    -Zbuild-std=std,panic_abort)
  mkdir -p "$SYSROOT_LIB"
  rm -f "$SYSROOT_LIB"/*.rlib
  find "$work/target/$TARGET/release/deps" -name '*.rlib' ! -name 'libcdvae_std_seed*' \
    -exec cp {} "$SYSROOT_LIB/" \;
  echo "$want_stamp" >"$STAMP"
fi

log "done in $((SECONDS - t0)) s"
