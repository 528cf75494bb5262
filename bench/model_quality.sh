#!/bin/bash
# Reproduces a model card's quality rows: N generated samples and the reconstruction of the first R
# test crystals at LEVELS × STEPS (or SCHEDULE), each scored by `evaluate` against the dataset's test split.
#
#   DS=mp_20 M=data/models/mp_20 bash bench/model_quality.sh          # the MP-20 / Carbon-24 cards (20 × 10)
#   DS=perov_5 M=data/models/perov_5 LEVELS=50 STEPS=20 bash bench/model_quality.sh
#   DS=carbon_24 SCHEDULE=fast bash bench/model_quality.sh           # a named schedule (paper|fast|short) instead
#
# Writes OUT (default out/quality/<DS>_<LEVELS>x<STEPS> or <DS>_<SCHEDULE>)/{gen,rec}/ with eval/metrics.{json,md}, and a
# log per step with its wall time. N=0 or R=0 skips that half.
set -euo pipefail
cd "$(dirname "$0")/.."
DS=${DS:?set DS to perov_5, carbon_24 or mp_20}
M=${M:-data/models/$DS}
N=${N:-1000}; R=${R:-500}; LEVELS=${LEVELS:-20}; STEPS=${STEPS:-10}; SEED=${SEED:-1}
SCHEDULE=${SCHEDULE:-}
if [ -n "$SCHEDULE" ]; then
  sampler=(--schedule "$SCHEDULE"); tag=$SCHEDULE
else
  sampler=(--levels "$LEVELS" --steps "$STEPS"); tag=${LEVELS}x${STEPS}
fi
OUT=${OUT:-out/quality/${DS}_${tag}}
mkdir -p "$OUT"
run() { local log=$1; shift; { time deno run -A mod.ts "$@"; } > "$OUT/$log.log" 2>&1; }
common=(--model "$M" "${sampler[@]}" --batch-size 256 --seed "$SEED" --backend wasm)
if [ "$N" != 0 ]; then
  run gen generate -n "$N" "${common[@]}" --out "$OUT/gen"
  run eval_gen evaluate "$OUT/gen" --dataset "$DS"
fi
if [ "$R" != 0 ]; then
  run rec reconstruct --input "dataset:$DS:test" --limit "$R" "${common[@]}" --out "$OUT/rec"
  run eval_rec evaluate "$OUT/rec" --dataset "$DS"
fi
grep -h "validity\|match rate" "$OUT"/eval_*.log
