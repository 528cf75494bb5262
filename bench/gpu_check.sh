#!/usr/bin/env bash
# The GPU check, in one go on a fresh Linux machine with an NVIDIA GPU (under 8 minutes in all):
# installs what is missing — the Vulkan loader and Mesa's drivers through apt (only as root; otherwise
# it says what is missing and goes on), Deno 2.9.6 from the npm package `deno` into a cache folder as
# .ci/run does — then runs bench/gpu_check.ts: the WebGPU adapter, WGSL matmul GFLOP/s, the Langevin
# step (resident and host loop, `reference` preset, batch 256) and a training step, each beside the
# wasm backend's figure. It prints a summary and writes one JSON file.
#
#   bash bench/gpu_check.sh [--quick] [OUT.json]     # default out/gpu_check.json
#
# --quick: smaller sizes and counts, for slow adapters (Mesa's llvmpipe on a CPU: ~2 minutes).
# Exit status: that of bench/gpu_check.ts (1 when a measurement failed or was skipped; the JSON lists
# which in "errors"), 124 when the time limit cut it short (the JSON keeps what was measured).
set -euo pipefail
cd "$(dirname "$0")/.."

DENO_VERSION=2.9.6
# The whole script's goal; the measurements get what the installs leave, less a margin for the
# measurement running when the budget runs out (a full-size Langevin run on the wasm side takes ~30 s).
LIMIT_S=470
MARGIN_S=90

quick=()
out=out/gpu_check.json
for a in "$@"; do
  case "$a" in
    --quick) quick=(--quick) ;;
    -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) echo "gpu_check.sh: unknown option \"$a\"" >&2; exit 2 ;;
    *) out="$a" ;;
  esac
done

log() { printf '\n== %s (%ss)\n' "$*" "$SECONDS"; }
is_root() { [ "$(id -u)" = 0 ]; }

# --- the GPU, as the driver sees it (informational: the check also runs without one) ----------
if command -v nvidia-smi >/dev/null; then
  log "nvidia-smi"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
else
  log "no nvidia-smi: no NVIDIA driver here; WebGPU will use whatever Vulkan driver exists (maybe llvmpipe, a CPU)"
fi

# --- Vulkan loader, and Mesa's drivers (llvmpipe among them) when no Vulkan driver is registered:
# via apt, only when missing ----------------------------------------------------------------
ICD_DIRS=(/usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/share/vulkan/icd.d)
icd_manifests() { # $1: glob of manifest names
  local d
  for d in "${ICD_DIRS[@]}"; do compgen -G "$d/$1" || true; done
}
vulkan=()
# ldconfig lives in /sbin, which a non-login PATH may lack (and a here-string, not a pipe, so that
# grep -q stopping early cannot fail the pipeline under pipefail).
grep -q 'libvulkan\.so\.1' <<<"$(PATH="$PATH:/sbin:/usr/sbin" ldconfig -p 2>/dev/null || true)" || vulkan+=(libvulkan1)
[ -n "$(icd_manifests '*.json')" ] || vulkan+=(mesa-vulkan-drivers)
if [ ${#vulkan[@]} -gt 0 ]; then
  if is_root && command -v apt-get >/dev/null; then
    log "apt-get install ${vulkan[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${vulkan[@]}" >/dev/null
  else
    echo "warning: missing ${vulkan[*]} (the Vulkan loader / a Vulkan driver) and this is not a root shell" \
      "with apt: install them; without them the WebGPU measurements are skipped" >&2
  fi
fi
# The NVIDIA driver registers its Vulkan driver with a JSON manifest; containers started without the
# "graphics" driver capability lack it, and WebGPU then finds only llvmpipe (or nothing).
if command -v nvidia-smi >/dev/null && [ -z "$(icd_manifests 'nvidia*.json')" ]; then
  echo "warning: no nvidia*.json Vulkan manifest in ${ICD_DIRS[*]}: in a container, start it with" \
    "NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics (or all)" >&2
fi

# --- Deno (from the npm package `deno`, pinned, as .ci/run installs it) ----------------------
DENO_HOME="${CDVAE_DENO_HOME:-$HOME/.cache/cdvae-ci/deno-$DENO_VERSION}"
if ! command -v deno >/dev/null || [ "$(deno --version | head -1 | cut -d' ' -f2)" != "$DENO_VERSION" ]; then
  if [ ! -x "$DENO_HOME/node_modules/.bin/deno" ]; then
    log "npm install deno@$DENO_VERSION"
    if ! command -v npm >/dev/null; then
      is_root || { echo "gpu_check.sh: neither Deno $DENO_VERSION nor npm found, and not root to install npm" >&2; exit 1; }
      apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
    fi
    mkdir -p "$DENO_HOME"
    npm install --prefix "$DENO_HOME" --no-audit --no-fund "deno@$DENO_VERSION" >/dev/null
  fi
  export PATH="$DENO_HOME/node_modules/.bin:$PATH"
fi
deno --version | head -1

# Mesa warns on every WebGPU start without a runtime dir.
if [ -z "${XDG_RUNTIME_DIR:-}" ] || [ ! -d "$XDG_RUNTIME_DIR" ]; then
  XDG_RUNTIME_DIR="$(mktemp -d)"
  export XDG_RUNTIME_DIR
fi
# The training step reads Perov-5 rows: the datasets if they are here (beside the checkout, or
# $CDVAE_DATA_DIR), else the 50 training rows kept in the test fixtures.
if [ -z "${CDVAE_DATA_DIR:-}" ] && [ ! -f ../shared/data/perov_5/train.csv ]; then
  export CDVAE_DATA_DIR="$PWD/tests/fixtures/datasets"
fi

left=$((LIMIT_S - SECONDS))
if ((left < MARGIN_S + 30)); then
  echo "gpu_check.sh: the installs took ${SECONDS} s, too little time is left to measure" >&2
  exit 124
fi
log "deno run -A bench/gpu_check.ts ${quick[*]} --out $out --budget-s $((left - MARGIN_S)) (time limit ${left} s)"
rc=0
timeout --signal=INT --kill-after=10 "$left" \
  deno run -A bench/gpu_check.ts "${quick[@]}" --out "$out" --budget-s "$((left - MARGIN_S))" || rc=$?
if command -v nvidia-smi >/dev/null && grep -q '"cpuDriver": true' "$out" 2>/dev/null; then
  echo "warning: an NVIDIA driver is here but WebGPU ran on a CPU driver (see the Vulkan manifest warning above)" >&2
fi
log "done, exit status $rc; JSON in $out"
exit "$rc"
