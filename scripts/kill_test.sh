#!/usr/bin/env bash
# kill_test.sh [TRIALS] - crash safety of `gan train`: TRIALS times (default
# 100) a run of a small model on tiny synthetic data, checkpointing every
# step, is killed with SIGKILL at a random moment (often inside a checkpoint
# write); after each kill the run must resume (`gan train --resume`) and reach
# its target step, and the run folder must hold no temporary file ("*.tmp.*").
# At the end the resumed run's weights must equal, bit for bit, those of a run
# to the same step that was never killed. Prints one line per trial and a
# summary; exit status 1 on any failure. GAN (default build/gan) picks the CLI.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
trials=${1:-100}
gan=${GAN:-build/gan}
[[ -x $gan ]] || { echo "kill_test: $gan not built" >&2; exit 2; }
# on tmpfs when there is one: fsync costs nothing there, so trials are quick
base=/tmp; [[ -d /dev/shm && -w /dev/shm ]] && base=/dev/shm
work=$(mktemp -d "$base/gan-kill-XXXXXX")
trap 'rm -rf "$work"' EXIT
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}

# 512 pseudo-random 28x28 images, and a small model (checkpoint ~2 MB)
python3 - "$work/data-images-idx3-ubyte" <<'PY'
import struct, sys, random
random.seed(1)
n = 512
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack(">IIII", 0x803, n, 28, 28))
    f.write(bytes(random.getrandbits(8) for _ in range(n * 784)))
PY
cat >"$work/small.gan" <<'GAN'
image 1 28 28
latent 16
generator
  dense 128
  leaky_relu 0.2
  batchnorm
  dense 784
  tanh
  reshape 1 28 28
discriminator
  flatten
  dense 128
  leaky_relu 0.2
  dense 1
train
  batch_size 16
  epochs 100000
GAN
common=(--threads 1 --checkpoint-every 1 --log-every 1 --quiet)

run=$work/run
fail=0 mid_write=0 target=0 killed=0
step_of() { # the step of the run's checkpoint (0 when none)
  python3 - "$1" <<'PY'
import json, struct, sys
try:
    with open(sys.argv[1], "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        print(json.loads(f.read(n))["__metadata__"]["state.step"])
except Exception:
    print(0)
PY
}
for ((t = 1; t <= trials; t++)); do
  have=$(step_of "$run/checkpoint.safetensors")
  target=$((have + 20 + RANDOM % 20))
  if ((have > 0)); then
    "$gan" train --resume "$run" --steps "$target" "${common[@]}" 2>/dev/null &
  else
    "$gan" train --data "$work/data-images-idx3-ubyte" --model "$work/small.gan" --out "$run" \
      --overwrite --steps "$target" "${common[@]}" 2>/dev/null &
  fi
  pid=$!
  # a random moment once training runs: wait (60 s at most) for the log to
  # show a step past the checkpoint, then 0 to 0.3 s more
  for ((w = 0; w < 3000; w++)); do
    last=$(tail -n 1 "$run/log.jsonl" 2>/dev/null | grep -o '"step": [0-9]*' | grep -o '[0-9]*$')
    (( ${last:-0} > have )) && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.02
  done
  sleep "0.$(printf '%03d' $((RANDOM % 200)))"
  alive=no; kill -KILL "$pid" 2>/dev/null && alive=yes && killed=$((killed + 1))
  wait "$pid" 2>/dev/null
  left=$(find "$run" -name '*.tmp.*' 2>/dev/null | wc -l)
  ((left > 0)) && mid_write=$((mid_write + 1))
  # the run must resume to its target (or start again when no checkpoint was written yet)
  have=$(step_of "$run/checkpoint.safetensors")
  : >"$work/err"
  if ((have >= target)); then
    true
  elif ((have > 0)); then
    "$gan" train --resume "$run" --steps "$target" "${common[@]}" 2>"$work/err"
  else
    "$gan" train --data "$work/data-images-idx3-ubyte" --model "$work/small.gan" --out "$run" \
      --overwrite --steps "$target" "${common[@]}" 2>"$work/err"
  fi
  rc=$?
  now=$(step_of "$run/checkpoint.safetensors")
  temps=$(find "$run" -name '*.tmp.*' | wc -l)
  status=ok
  if ((rc != 0 || now != target || temps != 0)); then
    status="FAIL (rc $rc, step $now of $target, $temps temporary files: $(head -c 300 "$work/err"))"
    fail=$((fail + 1))
  fi
  echo "trial $t: killed (while running: $alive) at checkpoint step $have, $left temporary file(s) left by the kill; resumed to $now: $status"
done

# the same number of steps without any kill: the weights must be identical
"$gan" train --data "$work/data-images-idx3-ubyte" --model "$work/small.gan" --out "$work/ref" \
  --steps "$target" "${common[@]}" 2>/dev/null
if python3 - "$run/checkpoint.safetensors" "$work/ref/checkpoint.safetensors" <<'PY'
import json, struct, sys
def tensors(p):
    with open(p, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        h = json.loads(f.read(n)); data = f.read()
    h.pop("__metadata__", None)
    return {k: data[v["data_offsets"][0]:v["data_offsets"][1]] for k, v in h.items()}
a, b = tensors(sys.argv[1]), tensors(sys.argv[2])
sys.exit(0 if a == b and a else 1)
PY
then same="identical to"; else same="DIFFERENT from"; fail=$((fail + 1)); fi
echo "kill_test: $trials trials ($killed killed while running), $mid_write kills left a temporary file (removed by the next start), $fail failures; after $target steps the killed-and-resumed run's tensors are $same an uninterrupted run's"
((fail == 0))
