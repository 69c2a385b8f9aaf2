#!/bin/bash
# emoji64_variants.sh - issue 14's screen of training recipes on a 64x64 RGB pack: several
# `gan train` runs at once on one GPU (each logs the FID of EVAL_N samples every EVAL_EVERY
# epochs and keeps best.safetensors), stopped by SIGINT after LIMIT seconds if still going,
# then each run's end and best checkpoints scored on N samples by gan eval (FID, KID,
# precision/recall), optionally also with BigGAN's standing statistics (STANDING batches).
#
#   bash bench/emoji64_variants.sh GAN PACK OUTDIR "NAME:train flags" ["NAME:train flags" ...]
#
# e.g. "mbstd:--model bench/resnet64_mbstd.gan --seed 0 --epochs 80". Every run gets --data PACK
# --device DEVICE (cuda) [--precision PRECISION (bf16)] --eval-every EVAL_EVERY (10) --eval-n
# EVAL_N (2000) --eval-cache GAN_EVAL_CACHE --quiet --overwrite; the flags give the rest.
# Environment: LIMIT (seconds for the trainings, default 100000), N (5000), STANDING (0: off),
# GAN_EVAL_CACHE (the classifier cache: `gan classifier train --data PACK --cache DIR` first,
# anywhere; required). Writes OUTDIR/NAME/ (the runs), OUTDIR/NAME_{end,best}.{json,png} and
# OUTDIR/summary.md (the FID trajectory, the last losses and the scores of every run).
set -u
if [ $# -lt 4 ]; then
    echo "usage: bash bench/emoji64_variants.sh GAN PACK OUTDIR NAME:FLAGS..." >&2
    exit 2
fi
GAN=$1 PACK=$2 OUT_DIR=$3
shift 3
DEVICE=${DEVICE:-cuda} PRECISION=${PRECISION:-bf16} LIMIT=${LIMIT:-100000} N=${N:-5000}
[ -x "$GAN" ] || { echo "emoji64_variants: $GAN: not an executable" >&2; exit 2; }
[ -f "$PACK" ] || { echo "emoji64_variants: $PACK: no such file" >&2; exit 2; }
[ -d "${GAN_EVAL_CACHE:-}" ] ||
    { echo "emoji64_variants: set GAN_EVAL_CACHE to a classifier cache" >&2; exit 2; }
export GAN_EVAL_CACHE
mkdir -p "$OUT_DIR" || exit 1
T0=$(date +%s)
common=(--data "$PACK" --device "$DEVICE" --quiet --overwrite --eval-every "${EVAL_EVERY:-10}"
        --eval-n "${EVAL_N:-2000}" --eval-cache "$GAN_EVAL_CACHE")
[ "$DEVICE" = cuda ] && common+=(--precision "$PRECISION")

for v in "$@"; do
    name=${v%%:*} flags=${v#*:}
    left=$(( LIMIT - ($(date +%s) - T0) ))
    ( s=$(date +%s)
      # shellcheck disable=SC2086 # the flags are words
      timeout -s INT -k 60 $left "$GAN" train "${common[@]}" $flags --out "$OUT_DIR/$name" \
          > "$OUT_DIR/$name.log" 2>&1
      echo "rc $? after $(( $(date +%s) - s )) s" >> "$OUT_DIR/$name.log" ) &
done
wait

score() { # NAME CHECKPOINT TAG [sample flags]
    local name=$1 ck=$2 tag=$3; shift 3
    "$GAN" sample "$ck" --n "$N" --out "$OUT_DIR/${name}_$tag.npy" --device "$DEVICE" "$@" \
        > /dev/null 2> "$OUT_DIR/${name}_$tag.err" &&
    "$GAN" sample "$ck" --n 64 --out "$OUT_DIR/${name}_$tag.png" --device "$DEVICE" "$@" \
        > /dev/null 2>&1 &&
    "$GAN" eval --data "$PACK" "$OUT_DIR/${name}_$tag.npy" --no-floor --json \
        > "$OUT_DIR/${name}_$tag.json" 2>> "$OUT_DIR/${name}_$tag.err"
    rm -f "$OUT_DIR/${name}_$tag.npy"
}
for v in "$@"; do
    name=${v%%:*}
    [ -f "$OUT_DIR/$name/checkpoint.safetensors" ] && score "$name" "$OUT_DIR/$name" end &
    best=$OUT_DIR/$name/best.safetensors
    [ -f "$best" ] && score "$name" "$best" best &
    if [ "${STANDING:-0}" -gt 0 ] && [ -f "$OUT_DIR/$name/checkpoint.safetensors" ]; then
        score "$name" "$OUT_DIR/$name" end_standing --standing-stats "$STANDING" &
    fi
done
wait

python3 - "$OUT_DIR" "$@" > "$OUT_DIR/summary.md" <<'EOF'
import json, sys
out = sys.argv[1]
print("| run | flags | FID during training (--eval-every) | end: FID / recall | best: FID / recall (epoch) | end, standing stats |")
print("|---|---|---|---|---|---|")
for v in sys.argv[2:]:
    name, flags = v.split(":", 1)
    try:
        log = [json.loads(l) for l in open(f"{out}/{name}/log.jsonl") if l.strip()]
    except OSError:
        log = []
    curve = ", ".join(f"{p['eval_fid']:.1f}" for p in log if "eval_fid" in p)
    best = min((p for p in log if "eval_fid" in p), key=lambda p: p["eval_fid"], default=None)
    def score(tag):
        try:
            m = json.load(open(f"{out}/{name}_{tag}.json"))["metrics"]
        except (OSError, ValueError, KeyError):
            return "-"
        return f"{m['fid']:.1f} / {m['recall']:.2f}"
    b = score("best") + (f" (e{best['epoch']})" if best else "")
    print(f"| {name} | `{flags.strip()}` | {curve} | {score('end')} | {b} | {score('end_standing')} |")
EOF
cat "$OUT_DIR/summary.md"
