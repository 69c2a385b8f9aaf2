#!/bin/sh
# count_kernels.sh - list the backend kernel calls of one training step, in
# order, with a count per kernel: gdb breaks on every CPU kernel of the
# table (src/backend_kernels.def, the gan_cpu_<fn> functions) while `gan
# train` runs a few steps on the CPU backend, and prints the calls between
# the starts of step 3 and step 4. A call made by another kernel is not
# counted; gdb would not see a tail call as one, so CPU kernels never call
# other table entries last (they share static helpers). The CPU step makes
# the CUDA step's calls except Adam: gan_model_adam_step calls adam on the
# CPU, adam_dev on a GPU (before branch k27: adam_schedule + adam_device_lr,
# one kernel more per network), src/model.c.
#
# usage: scripts/count_kernels.sh [BUILD=build] [gan train options...]
#   e.g. scripts/count_kernels.sh build --model dcgan
# needs gdb (with Python: $_caller_matches) and the data at data/fashion.
set -eu
build=${1:-build}
[ $# -gt 0 ] && shift
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT; [ -n "${KEEP:-}" ] && echo "$tmp"
{
    echo "set pagination off"
    echo "set breakpoint pending on"
    echo "break gan_trainer_step"
    echo "commands"
    echo "silent"
    printf '%s\n' 'printf "== step\n"'
    echo "continue"
    echo "end"
    # every kernel the CPU backend has (cpu column Y or AVX512)
    sed -n 's/^GAN_KERNEL([A-Z_]*, *\([a-z0-9_]*\), *\(Y\|AVX512\),.*/\1/p' \
        "$here/src/backend_kernels.def" | while read -r fn; do
        echo "break gan_cpu_$fn if !\$_caller_matches(\"^gan_cpu_\")"
        echo "commands"
        echo "silent"
        printf 'printf "K %s\\n"\n' "$fn"
        echo "continue"
        echo "end"
    done
    echo "run"
    echo "quit"
} >"$tmp/cmds"
gdb -q -batch -x "$tmp/cmds" --args "$build/gan" train --data "$here/data/fashion" \
    --steps 4 --checkpoint-every 0 --log-every 1000 --quiet --threads 1 \
    --out "$tmp/run" --overwrite "$@" >"$tmp/log" 2>&1 || true
awk '/^== step/ { s++; next } /^K / && s == 3 { print $2 }' "$tmp/log" >"$tmp/step"
echo "kernel calls in one step (step 3), in order:"
nl -ba "$tmp/step"
echo "per kernel:"
sort "$tmp/step" | uniq -c | sort -rn
echo "total: $(wc -l <"$tmp/step")"
