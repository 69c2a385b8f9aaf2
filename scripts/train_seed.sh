#!/usr/bin/env bash
# train_seed.sh - the main job: set up (packages, data, build), then train the seed
# GAN on Fashion-MNIST and write sample grids to runs/fashion/samples/.
# Extra arguments go to `gan train` (e.g. --epochs 30 --out runs/fashion30).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
# defaults that the extra arguments may replace (gan refuses an option given twice)
args=(--data data/fashion --overwrite)
out=runs/fashion
case " $* " in *" --epochs"*) ;; *) args+=(--epochs 10) ;; esac
case " $* " in
    *" --out"*) out=$(printf '%s\n' "$@" | sed -n '/^--out$/{n;p;q}') ;;
    *) args+=(--out "$out") ;;
esac
build/gan train "${args[@]}" "$@"
echo "samples: $out/samples.png (one grid per epoch in $out/samples/)"
