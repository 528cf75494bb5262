#!/usr/bin/env bash
# Builds the wasm geometry core into wasm/pkg/: an npm package (wasm + JS glue + .d.ts) made by
# `wasm-pack build --target deno`, plus wasm-bindgen's `--target nodejs` glue for Node, with
# Debian's Rust 1.96 and the std that tools/setup-wasm.sh put into the sysroot. The bytes are
# reproducible: absolute paths are remapped and versions pinned.
#
# Usage: bash wasm/build.sh            rebuild wasm/pkg/ (what `deno task build:wasm` runs)
#        bash wasm/build.sh --check    rebuild into a temporary folder; exit 1 if any file differs
#                                      from the committed wasm/pkg/ (CI)
#        add --no-wasm-pack to drive cargo + wasm-bindgen directly; that is also what happens when
#        wasm-pack is not installed (tools/setup-wasm.sh --no-wasm-pack). Both give the same bytes.
# Setup (once per machine): bash tools/setup-wasm.sh
set -euo pipefail

WASM_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TARGET=wasm32-unknown-unknown
NAME=cdvae_wasm
TOOLS="${CDVAE_WASM_TOOLS:-/usr/local}"

check=0
use_pack=1
for arg in "$@"; do
  case "$arg" in
    --check) check=1 ;;
    --no-wasm-pack) use_pack=0 ;;
    *) echo "build.sh: unknown option \"$arg\" (use --check, --no-wasm-pack)" >&2; exit 2 ;;
  esac
done

# Debian's toolchain first on PATH: wasm-pack runs plain `cargo`/`rustc`, and a rustup proxy found
# first would pick a toolchain without the wasm32 std.
export PATH="$TOOLS/bin:/usr/bin:/bin:$PATH"
export RUSTC=/usr/bin/rustc CARGO=/usr/bin/cargo
unset RUSTUP_TOOLCHAIN RUSTC_WRAPPER CARGO_BUILD_RUSTFLAGS CARGO_ENCODED_RUSTFLAGS || true
export CARGO_TARGET_DIR="$WASM_DIR/target"
export SOURCE_DATE_EPOCH=0
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
# The same target features as tools/setup-wasm.sh used for std; every absolute path that could
# reach the binary (panic locations) is mapped to a fixed one.
export RUSTFLAGS="-C target-feature=+simd128 \
--remap-path-prefix=$WASM_DIR=/cdvae/wasm \
--remap-path-prefix=$cargo_home=/cargo \
--remap-path-prefix=/usr/src/rustc-1.96.0=/rustc/1.96.0"

missing=()
for tool in /usr/bin/rustc /usr/bin/cargo /usr/lib/llvm-22/bin/wasm-ld "$TOOLS/bin/wasm-bindgen"; do
  [[ -x "$tool" ]] || missing+=("$tool")
done
if ((use_pack)) && [[ ! -x "$TOOLS/bin/wasm-pack" ]]; then
  echo "build.sh: wasm-pack not installed; running cargo + wasm-bindgen directly (same bytes)" >&2
  use_pack=0
fi
[[ -d "$(/usr/bin/rustc --print sysroot)/lib/rustlib/$TARGET/lib" ]] || missing+=("std for $TARGET")
if ((${#missing[@]})); then
  echo "build.sh: missing ${missing[*]}: run \"bash tools/setup-wasm.sh\" first" >&2
  exit 1
fi

out="$WASM_DIR/pkg"
if ((check)); then
  out="$(mktemp -d)/pkg"
  trap 'rm -rf "$(dirname "$out")"' EXIT
fi

t0=$SECONDS
if ((use_pack)); then
  wasm-pack --quiet build "$WASM_DIR" --release --target deno --mode no-install --no-gitignore \
    --out-dir "$out" --out-name "$NAME" >&2
else
  (cd "$WASM_DIR" && cargo build --quiet --locked --lib --release --target "$TARGET")
  rm -rf "$out"
  wasm-bindgen --target deno --out-dir "$out" --out-name "$NAME" "$CARGO_TARGET_DIR/$TARGET/release/$NAME.wasm"
  cp "$WASM_DIR/README.md" "$out/README.md" # as wasm-pack does
fi
# The Node entry: wasm-bindgen's `--target nodejs` glue (CommonJS; it reads the .wasm beside it with
# fs.readFileSync, where the Deno glue fetches it). Both targets give the same .wasm and .d.ts from
# the same module, checked here, so pkg/ ships one .wasm and only the glue is doubled.
node_out="$(mktemp -d)"
wasm-bindgen --target nodejs --out-dir "$node_out" --out-name "$NAME" "$CARGO_TARGET_DIR/$TARGET/release/$NAME.wasm"
for f in "${NAME}_bg.wasm" "$NAME.d.ts" "${NAME}_bg.wasm.d.ts"; do
  if ! cmp -s "$node_out/$f" "$out/$f"; then
    echo "build.sh: the nodejs target's $f differs from the deno target's" >&2
    exit 1
  fi
done
cp "$node_out/$NAME.js" "$out/${NAME}_node.cjs"
rm -rf "$node_out"
# wasm-pack writes no package.json for --target deno; add one so pkg/ is an npm package as well:
# Deno (and anything else) gets the ES module glue, Node the CommonJS one (`npm pack` in pkg/).
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$WASM_DIR/Cargo.toml" | head -n1)"
description="$(sed -n 's/^description = "\(.*\)"$/\1/p' "$WASM_DIR/Cargo.toml" | head -n1)"
cat >"$out/package.json" <<JSON
{
  "name": "cdvae-wasm",
  "version": "$version",
  "description": "$description",
  "type": "module",
  "main": "${NAME}_node.cjs",
  "types": "$NAME.d.ts",
  "exports": {
    ".": {
      "types": "./$NAME.d.ts",
      "deno": "./$NAME.js",
      "node": "./${NAME}_node.cjs",
      "default": "./$NAME.js"
    }
  },
  "files": ["${NAME}_bg.wasm", "$NAME.js", "${NAME}_node.cjs", "$NAME.d.ts", "${NAME}_bg.wasm.d.ts", "README.md"]
}
JSON
echo "build.sh: built $out in $((SECONDS - t0)) s ($(stat -c %s "$out/${NAME}_bg.wasm") bytes of wasm)" >&2

if ((check)); then
  if diff -r "$WASM_DIR/pkg" "$out" >/dev/null; then
    echo "build.sh: wasm/pkg/ matches a fresh build" >&2
  else
    echo "build.sh: wasm/pkg/ differs from a fresh build (run \"deno task build:wasm\" and commit):" >&2
    diff -rq "$WASM_DIR/pkg" "$out" >&2 || true
    exit 1
  fi
fi
