#!/bin/bash
# Training recipes side by side at equal CPU (issue #14, item 2): each recipe trains the `small`
# preset from the same seed for EPOCHS epochs, pinned to one core (as many recipes at a time as
# CORES lists, default "0 1", one per core, so each gets the same CPU); a snapshot of the weights
# sampling would use (the EMA where the recipe keeps one) is taken every EVERY epochs, and each
# snapshot is scored afterwards by the quality proxies: validation loss, reconstruction match rate
# of the first 100 test crystals and COV-R of 200 samples, both at the short 20 × 10 schedule with
# seed 1.
#
#   EPOCHS=8 EVERY=4 bash bench/recipes.sh                  # all recipes, Perov-5 (RESULTS' table)
#   RECIPES="ref ema" EPOCHS=2 EVERY=1 LIMIT=64 bash bench/recipes.sh     # a smoke run (64 crystals)
#   RECIPES="ref fit" EPOCHS=8 EVERY=4 CORES=1 bash bench/recipes.sh      # fitted scale factors vs the reference's, on core 1 only
#   deno run -A bench/recipes_report.ts out/recipes          # the table of bench/RESULTS.md
#
# Writes OUT (default out/recipes)/<recipe>/{run,snap_eE,rec_eE,gen_eE,train.cpu}. Re-running skips
# what exists (a recipe whose run reached EPOCHS; a snapshot already scored).
set -euo pipefail
cd "$(dirname "$0")/.."
DS=${DS:-perov_5}
EPOCHS=${EPOCHS:-10}; EVERY=${EVERY:-5}
OUT=${OUT:-out/recipes}
RECIPES=${RECIPES:-"ref ema cosine radius batch32 ema_cosine"}

# The recipe's train flags; `ref` is today's default (the reference's recipe: Adam 1e-3 with its
# plateau schedule, batch 64, CrystalNN encoder graph).
flags_of() {
  case $1 in
    ref) echo "" ;;
    ema) echo "--ema 0.999" ;;
    cosine) echo "--lr 3e-3 --schedule cosine --warmup 300 --min-lr 1e-5" ;;
    radius) echo "--encoder-graph radius" ;;
    batch32) echo "--batch-size 32" ;;
    ema_cosine) echo "--ema 0.999 --lr 3e-3 --schedule cosine --warmup 300 --min-lr 1e-5" ;;
    fit) echo "--fit-scales" ;;
    *) echo "recipes.sh: unknown recipe $1" >&2; exit 2 ;;
  esac
}

# Copies the run's current weights (EMA if kept) and config as a loadable model folder per EVERY epochs.
snapshot_loop() {
  local run=$1 dir=$2 pid=$3
  while kill -0 "$pid" 2>/dev/null || [ -e "$run/state.json" ]; do
    local e
    e=$(sed -n 's/^ *"epoch": \([0-9]*\),*/\1/p' "$run/state.json" 2>/dev/null | head -1 || true)
    if [ -n "$e" ] && [ $((e % EVERY)) = 0 ] && [ ! -e "$dir/snap_e$e/weights.safetensors" ]; then
      mkdir -p "$dir/snap_e$e"
      cp "$run/config.json" "$dir/snap_e$e/"
      local w=$run/last.safetensors
      [ -e "$run/last.ema.safetensors" ] && w=$run/last.ema.safetensors
      cp "$w" "$dir/snap_e$e/weights.tmp" && mv "$dir/snap_e$e/weights.tmp" "$dir/snap_e$e/weights.safetensors"
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 5
  done
}

train_recipe() {
  local r=$1 core=$2 dir=$OUT/$1
  mkdir -p "$dir"
  local resume=() flags
  read -ra flags <<< "$(flags_of "$r")"
  [ -e "$dir/run/state.json" ] && resume=(--resume) flags=()
  taskset -c "$core" /usr/bin/time -f "%U %S" -a -o "$dir/train.cpu" \
    deno run -A mod.ts train --dataset "$DS" --preset small --seed 0 --backend wasm \
    --epochs "$EPOCHS" --out "$dir/run" ${LIMIT:+--limit "$LIMIT"} "${resume[@]}" "${flags[@]}" \
    > "$dir/train.log" 2>&1 &
  local pid=$!
  snapshot_loop "$dir/run" "$dir" "$pid"
  wait "$pid"
}

score_snapshot() {
  local snap=$1 core=$2 base e
  base=$(dirname "$snap"); e=${snap##*_e}
  local common=(--model "$snap" --levels 20 --steps 10 --seed 1 --batch-size 100 --backend wasm)
  if [ ! -e "$base/rec_e$e/eval/metrics.json" ]; then
    taskset -c "$core" deno run -A mod.ts reconstruct --input "dataset:$DS:test" --limit 100 "${common[@]}" \
      --out "$base/rec_e$e" > "$base/rec_e$e.log" 2>&1
    taskset -c "$core" deno run -A mod.ts evaluate "$base/rec_e$e" --dataset "$DS" --property-model none \
      >> "$base/rec_e$e.log" 2>&1
  fi
  if [ ! -e "$base/gen_e$e/eval/metrics.json" ]; then
    taskset -c "$core" deno run -A mod.ts generate -n 200 "${common[@]}" --out "$base/gen_e$e" \
      > "$base/gen_e$e.log" 2>&1
    taskset -c "$core" deno run -A mod.ts evaluate "$base/gen_e$e" --dataset "$DS" --property-model none \
      >> "$base/gen_e$e.log" 2>&1
  fi
}

# Runs `fn item core` for the items as many at a time as there are $CORES, one per core.
read -ra cores <<< "${CORES:-0 1}"
one_per_core() {
  local label=$1 fn=$2; shift 2
  local items=("$@") i j n=${#cores[@]}
  for ((i = 0; i < ${#items[@]}; i += n)); do
    echo "$(date -u +%H:%M) $label ${items[*]:i:n}"
    for ((j = 0; j < n && i + j < ${#items[@]}; j++)); do
      "$fn" "${items[i + j]}" "${cores[j]}" &
    done
    wait
  done
}

read -ra list <<< "$RECIPES"
one_per_core training train_recipe "${list[@]}"
mapfile -t snaps < <(ls -d "$OUT"/*/snap_e* | sort)
one_per_core scoring score_snapshot "${snaps[@]}"
deno run -A bench/recipes_report.ts "$OUT"
