#!/usr/bin/env bash
# Training throughput of two commits side by side, alternating A B A B … so that the machine's
# drift (other jobs on the same cores) hits both alike. Each run is the real `train` command:
#
#   deno run -A mod.ts train --dataset perov_5 --preset small --limit LIMIT --epochs EPOCHS \
#     --batch-size 64 --backend wasm --out TMP
#
# and its figure is crystals per second of epoch time over epochs 2…EPOCHS, read from the run's
# log.csv (`seconds` is cumulative; an epoch's time covers its training steps, the validation of
# LIMIT validation crystals and the best-weights save): LIMIT·(EPOCHS − 1)/(s_EPOCHS − s_1).
# Epoch 1 is left out because the new code builds its per-crystal encoder inputs there. The
# losses of the two commits are printed too (same seed: they should agree to f32 noise).
#
# Usage: bash bench/train_throughput_compare.sh [OLD_COMMIT] [ROUNDS] [LIMIT] [EPOCHS] [NEW_COMMIT]
#        (defaults: 83dd47e 3 640 3, and NEW = this working tree)
# Needs CDVAE_DATA_DIR (or data/ in the tree). The old commit is checked out with
# `git worktree add --detach` into a temporary folder, removed at the end.
set -euo pipefail

OLD="${1:-83dd47e}"
ROUNDS="${2:-3}"
LIMIT="${3:-640}"
EPOCHS="${4:-3}"
NEW="${5:-}"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TMP="$(mktemp -d)"
OLD_DIR="$TMP/old"
NEW_DIR="$REPO"
cleanup() {
  git -C "$REPO" worktree remove --force "$OLD_DIR" >/dev/null 2>&1 || true
  [ -n "$NEW" ] && git -C "$REPO" worktree remove --force "$TMP/new" >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT
git -C "$REPO" worktree add --detach "$OLD_DIR" "$OLD" >/dev/null 2>&1
if [ -n "$NEW" ]; then
  NEW_DIR="$TMP/new"
  git -C "$REPO" worktree add --detach "$NEW_DIR" "$NEW" >/dev/null 2>&1
fi

# One run in folder $1 (labelled $2); prints "LABEL crystals/s final_train_loss final_val_loss
# cpu_seconds" (the last: user + system CPU of the whole process, start-up and epoch 1 included;
# less sensitive than wall time to other jobs on the cores).
run_one() {
  local dir="$1" label="$2" out="$TMP/run-$2-$RANDOM"
  (cd "$dir" && /usr/bin/time -f "%U %S" -o "$out.cpu" deno run -A mod.ts train --dataset perov_5 \
    --preset small --limit "$LIMIT" --epochs "$EPOCHS" --batch-size 64 --backend wasm --seed 0 \
    --out "$out" >/dev/null 2>&1)
  awk -F, -v limit="$LIMIT" -v label="$label" -v cpu="$(awk '{ print $1 + $2 }' "$out.cpu")" '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    { s[NR - 1] = $(col["seconds"]); tl = $(col["train_loss"]); vl = $(col["val_loss"]); n = NR - 1 }
    END { printf "%s %.2f %s %s %.1f\n", label, limit * (n - 1) / (s[n] - s[1]), tl, vl, cpu }
  ' "$out/log.csv"
  rm -rf "$out" "$out.cpu"
}

echo "old: $OLD ($(git -C "$OLD_DIR" log -1 --format=%h)), new: $(git -C "$NEW_DIR" log -1 --format=%h)" \
  "$(git -C "$NEW_DIR" diff --quiet HEAD -- src || echo '+ uncommitted changes')"
echo "train --dataset perov_5 --preset small --limit $LIMIT --epochs $EPOCHS --batch-size 64 --backend wasm"
results="$TMP/results"
for r in $(seq 1 "$ROUNDS"); do
  run_one "$OLD_DIR" old | tee -a "$results"
  run_one "$NEW_DIR" new | tee -a "$results"
done
awk '
  function median(list,   a, n, i, j, t) {
    n = split(substr(list, 2), a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  { v[$1] = v[$1] " " $2; c[$1] = c[$1] " " $5 }
  END {
    for (k in v) {
      med[k] = median(v[k]); cpu[k] = median(c[k])
      printf "%s: median %.2f crystals/s (runs:%s); median CPU %.1f s per run (runs:%s)\n", k, med[k], v[k], cpu[k], c[k]
    }
    if (med["old"] > 0) printf "new / old: %.2fx crystals/s; CPU per run new / old: %.2f\n", med["new"] / med["old"], cpu["new"] / cpu["old"]
  }
' "$results"
