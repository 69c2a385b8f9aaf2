#!/bin/bash
# emoji64_compare.sh - issue 14's colour comparison: the `resnet` preset against
# `dcgan --init dcgan` on a 64x64 RGB pack at the same images seen, scored by gan eval
# (FID, KID, precision/recall, classes drawn), the resnet's EMA generator and its
# trained one (--no-ema) both.
#
#   bash bench/emoji64_compare.sh GAN PACK OUTDIR [EPOCHS=30]
#
# GAN: the gan binary; PACK: from `gan data prepare data/emoji --resolution 64 --out PACK`.
# Environment: DEVICE (cuda), STEPS (instead of EPOCHS: a quick check), PRECISION (tf32), SEED (0), N (5000 samples per model),
# PARALLEL=1 trains both models at once (one GPU has room; the times then overlap),
# RN_ARGS, DC_ARGS: more `gan train` flags for the resnet / dcgan run (e.g. "--augment translation,color,cutout"),
# EVAL_EVERY=K: each run also logs the FID of EVAL_N (2000) samples every K epochs (--eval-every), and the
# summary gives that trajectory (2,000-sample FIDs read high against the 5,000-sample final ones),
# GAN_EVAL_CACHE: the classifier cache. gan eval trains its classifier on first use
# (minutes); `gan classifier train --data PACK --cache DIR` beforehand, anywhere, and
# GAN_EVAL_CACHE=DIR makes each evaluation take seconds.
# Writes OUTDIR/{dc,rn}/ (runs), OUTDIR/*.npy, OUTDIR/eval_*.json and OUTDIR/summary.md.
set -u
if [ $# -lt 3 ]; then
    echo "usage: bash bench/emoji64_compare.sh GAN PACK OUTDIR [EPOCHS=30]" >&2
    exit 2
fi
GAN=$1 PACK=$2 OUT_DIR=$3 EPOCHS=${4:-30}
DEVICE=${DEVICE:-cuda} PRECISION=${PRECISION:-tf32} SEED=${SEED:-0} N=${N:-5000}
[ -x "$GAN" ] || { echo "emoji64_compare: $GAN: not an executable" >&2; exit 2; }
[ -f "$PACK" ] || { echo "emoji64_compare: $PACK: no such file" >&2; exit 2; }
mkdir -p "$OUT_DIR" || exit 1
common=(--data "$PACK" --seed "$SEED" --device "$DEVICE" --quiet --overwrite)
if [ -n "${STEPS:-}" ]; then common+=(--steps "$STEPS"); else common+=(--epochs "$EPOCHS"); fi
[ "$DEVICE" = cuda ] && common+=(--precision "$PRECISION")
[ -n "${EVAL_EVERY:-}" ] && common+=(--eval-every "$EVAL_EVERY" --eval-n "${EVAL_N:-2000}")
[ -n "${EVAL_EVERY:-}" ] && [ -n "${GAN_EVAL_CACHE:-}" ] && common+=(--eval-cache "$GAN_EVAL_CACHE")

train() { # NAME ARGS...: one run; its start and end (epoch seconds) in OUT_DIR/NAME.time
    local name=$1; shift
    local t0; t0=$(date +%s.%N)
    "$GAN" train "${common[@]}" "$@" --out "$OUT_DIR/$name" > "$OUT_DIR/$name.log" 2>&1
    local rc=$?
    echo "$t0 $(date +%s.%N)" > "$OUT_DIR/$name.time"
    [ $rc -eq 0 ] || { echo "emoji64_compare: training $name failed (rc $rc):" >&2; tail -3 "$OUT_DIR/$name.log" >&2; }
    return $rc
}
if [ "${PARALLEL:-0}" = 1 ]; then
    train rn --model resnet ${RN_ARGS:-} & rn=$!
    train dc --model dcgan --init dcgan ${DC_ARGS:-} || exit 1
    wait $rn || exit 1
else
    train dc --model dcgan --init dcgan ${DC_ARGS:-} || exit 1
    train rn --model resnet ${RN_ARGS:-} || exit 1
fi

evaluate() { # NAME RUN [--no-ema]
    local name=$1 run=$2; shift 2
    "$GAN" sample "$OUT_DIR/$run" --n "$N" --out "$OUT_DIR/$name.npy" --device "$DEVICE" "$@" \
        > /dev/null 2> "$OUT_DIR/sample_$name.err" || { cat "$OUT_DIR/sample_$name.err" >&2; return 1; }
    "$GAN" sample "$OUT_DIR/$run" --n 64 --out "$OUT_DIR/${name}_grid.png" --device "$DEVICE" "$@" \
        > /dev/null 2>&1
    "$GAN" eval --data "$PACK" "$OUT_DIR/$name.npy" --no-floor --json \
        > "$OUT_DIR/eval_$name.json" 2> "$OUT_DIR/eval_$name.err" ||
        { tail -3 "$OUT_DIR/eval_$name.err" >&2; return 1; }
}
evaluate dc dc || exit 1
evaluate rn rn || exit 1
evaluate rn_raw rn --no-ema || exit 1

python3 - "$OUT_DIR" "$EPOCHS" "${DC_ARGS:-}" "${RN_ARGS:-}" <<'EOF'
import json, sys
d, epochs, dc_args, rn_args = sys.argv[1:5]
dc_args, rn_args = (" " + dc_args if dc_args else ""), (" " + rn_args if rn_args else "")
rows = [("dc", "dc", f"`dcgan --init dcgan{dc_args}`"), ("rn", "rn", f"`resnet{rn_args}`, EMA generator"),
        ("rn_raw", "rn", f"`resnet{rn_args}`, trained generator (`--no-ema`)")]
out = [f"{epochs} epochs each (or --steps as given); train wall: the whole `gan train` command.", "",
       "| run | steps | images | train wall | FID | KID x 1000 | precision | recall | classes drawn |",
       "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
for name, run, label in rows:
    e = json.load(open(f"{d}/eval_{name}.json"))["metrics"]
    log = [json.loads(l) for l in open(f"{d}/{run}/log.jsonl") if l.strip()]
    step = log[-1]["step"] if log else 0
    start, end = map(float, open(f"{d}/{run}.time").read().split())
    wall = end - start
    g = lambda k: e.get(k, float("nan"))
    classes = e.get("modes_covered", "-")
    out.append(f"| {label} | {step:,} | {step * 64:,} | {wall:.1f} s | {g('fid'):.1f} | "
               f"{1000 * g('kid_mean'):.1f} | {g('precision'):.3f} | {g('recall'):.3f} | {classes} |")
curves = []
for run, label in (("dc", "dcgan"), ("rn", "resnet")):
    pts = [json.loads(l) for l in open(f"{d}/{run}/log.jsonl") if '"eval_fid"' in l]
    if pts:
        curves.append(f"{label} FID during training (--eval-every): " +
                      ", ".join(f"epoch {p['epoch']}: {p['eval_fid']:.1f}" for p in pts))
if curves:
    out += [""] + curves
open(f"{d}/summary.md", "w").write("\n".join(out) + "\n")
print("\n".join(out))
EOF
