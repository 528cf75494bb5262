#!/bin/bash
# Quality against decoder calls of the sampler's schedules (issue #19, items 1–2): for each schedule,
# reconstruct the first $R test crystals (seed 0, one batch) and generate $N crystals (seed 1, one
# batch), evaluate both, then tabulate and plot (bench/schedules_report.ts).
#
#   bash bench/schedules.sh [MODEL] [DATASET]        # default data/models/perov_5 perov_5
#   ONLY="paper fast" bash bench/schedules.sh         # a subset of the tags below, in that order
#   PARTS=rec bash bench/schedules.sh                 # reconstruction only (PARTS=gen: generation only)
#
# Runs are kept under $OUT (default /tmp/cdvae-schedules/DATASET) and skipped when their metrics
# exist, so the script can be resumed. Every run is `nice -n 10` (a shared machine).
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:-data/models/perov_5}
DS=${2:-perov_5}
R=${R:-100}
N=${N:-200}
OUT=${OUT:-/tmp/cdvae-schedules/$DS}
PARTS=${PARTS:-"rec gen"}
export CDVAE_DATA_DIR=${CDVAE_DATA_DIR:-/work/shared/data}
mkdir -p "$OUT"

# TAG|sampler flags. Decoder calls per batch = levels·steps, or the sum of --level-steps (+ levels − 1
# predictor steps) (+ 1 denoising step); early exit (--settle) can only lower it.
SCHEDULES=(
  "paper|--schedule paper"
  "fast|--schedule fast"
  "50x9-denoise|--levels 50 --steps 9 --denoise"
  "short|--schedule short"
  "50x10|--levels 50 --steps 10"
  "50x9-matched-denoise|--levels 50 --steps 9 --step-rule matched --denoise"
  "pc-50x8-snr0.3|--levels 50 --steps 8 --predictor --snr 0.3 --denoise"
  "50x9-denoise-settle|--levels 50 --steps 9 --denoise --settle 0.01"
  "20x20-denoise|--levels 20 --steps 20 --denoise"
  "10x40-matched-denoise|--levels 10 --steps 40 --step-rule matched --denoise"
  "50x20|--levels 50 --steps 20"
  "25x18-denoise|--levels 25 --steps 18 --denoise"
  "10x40-denoise|--levels 10 --steps 40 --denoise"
  "head-10x25+40x6-denoise|--level-steps 10x25,40x6 --denoise"
  "mid-15x4+20x15+15x4-denoise|--level-steps 15x4,20x15,15x4 --denoise"
  "tail-40x5+10x25-denoise|--level-steps 40x5,10x25 --denoise"
  "band-20x3+20x50+10x3-denoise|--level-steps 20x3,20x50,10x3 --denoise"
  "50x9-denoise-noise0.5|--levels 50 --steps 9 --denoise --noise-scale 0.5"
  "25x18-denoise-noise0.71|--levels 25 --steps 18 --denoise --noise-scale 0.7071"
  "150x3-denoise-noise0.71|--levels 150 --steps 3 --denoise --noise-scale 0.7071"
  "50x20-noise0.71|--levels 50 --steps 20 --noise-scale 0.7071"
)

run() { # DIR ARGS… : one sampler run and its evaluation, unless already evaluated
  local dir=$1; shift
  [ -f "$dir/eval/metrics.json" ] && return 0
  rm -rf "$dir"
  nice -n 10 deno run -A mod.ts "$@" --out "$dir" > "$dir.log" 2>&1
  nice -n 10 deno run -A mod.ts evaluate "$dir" --dataset "$DS" >> "$dir.log" 2>&1
}

declare -A FLAGS=()
TAGS=()
for entry in "${SCHEDULES[@]}"; do
  FLAGS[${entry%%|*}]=${entry#*|}
  TAGS+=("${entry%%|*}")
done
# ONLY="a b …" runs those tags in that order.
read -r -a TAGS <<< "${ONLY:-${TAGS[*]}}"
for tag in "${TAGS[@]}"; do
  [ -n "${FLAGS[$tag]:-}" ] || { echo "unknown schedule tag $tag" >&2; exit 2; }
  read -r -a flags <<< "${FLAGS[$tag]}"
  for part in $PARTS; do
    if [ "$part" = rec ]; then
      run "$OUT/$tag.rec" reconstruct --model "$MODEL" --input "dataset:$DS:test" --limit "$R" \
        --batch-size "$R" --seed 0 --loop host "${flags[@]}"
    else
      run "$OUT/$tag.gen" generate --model "$MODEL" -n "$N" --batch-size "$N" --seed 1 --loop host "${flags[@]}"
    fi
    echo "$(date -u +%H:%M) $tag $part done"
  done
done
deno run -A bench/schedules_report.ts "$OUT" "$DS"
