#!/usr/bin/python3
"""Benchmark gan.c against PyTorch on the seed GAN, on the CPU, side by side.

For each batch size it runs `gan train` (gan.c) and then bench/torch_seed.py (PyTorch)
with the same data, batch size, step count and thread count, each as a child process
reaped with os.wait4 to get that child's peak resident set size (ru_maxrss), and reads
throughput from the log.jsonl each one writes:

    images/s = (step_last - step_first) * B / (seconds_last - seconds_first)

over the log lines after the warm-up (lines with step < 10% of the steps are skipped,
and always at least the first line).

    bench/bench_seed.py --gan build/gan                  # table
    bench/bench_seed.py --gan build/gan --json           # JSON on stdout
    bench/bench_seed.py --engines torch                  # PyTorch only

This driver deliberately imports neither torch nor numpy: a child's ru_maxrss starts
from the RSS of the process that forked it (Linux copies the parent's high-water mark
at fork/vfork + exec), so the driver must stay small (~10 MB; reported as
driver_rss_mb in --json and as a floor under every peak).
"""
import os
import sys

# Every process of the benchmark gets this (Debian 12's OpenBLAS misdetects Zen 5).
os.environ["OPENBLAS_CORETYPE"] = "Haswell"

import argparse
import datetime
import json
import platform
import shutil
import statistics
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"  # Debian's python, the one with torch
DATA_DIR = "/usr/share/datasets/fashion-mnist"
# What is benchmarked; bench_dcgan.py runs this driver with its own (see configure()).
CFG = {
    "name": "bench_seed",
    "title": "Seed GAN",
    "model": None,  # gan train --model (None: the default, mlp)
    "torch_script": os.path.join(HERE, "torch_seed.py"),
    # Default steps per batch size: about 130-150k images each, ~30-45 s per PyTorch run
    # on 2 Zen 5 cores, so that the whole default bench takes ~3-4 minutes.
    "default_steps": {64: 2000, 256: 600},
    "default_images": 128000,  # other batch sizes: this many images per run
}
BUSY_WARN = 0.10  # warn when others use more than this share of the CPUs during a run
REQUIRED_KEYS = ("step", "epoch", "loss_d", "loss_g", "d_real", "d_fake", "images_per_s", "seconds")


class BenchError(Exception):
    pass


def configure(**kw):
    """Replace entries of CFG (name, title, model, torch_script, default_steps, default_images)."""
    unknown = set(kw) - set(CFG)
    if unknown:
        raise KeyError(f"unknown settings {sorted(unknown)}")
    CFG.update(kw)


def log(msg):
    print(f"{CFG['name']}: {msg}", file=sys.stderr, flush=True)


def loadavg():
    """The 1-, 5- and 15-minute load averages (/proc/loadavg)."""
    try:
        with open("/proc/loadavg") as f:
            return [float(x) for x in f.read().split()[:3]]
    except (OSError, ValueError):
        return None


def int_list(s):
    try:
        v = [int(x) for x in s.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {s!r}")
    if not v or any(x < 1 for x in v):
        raise argparse.ArgumentTypeError(f"expected positive integers, got {s!r}")
    return v


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=f"CPU benchmark: gan.c vs PyTorch on the {CFG['title']}.")
    p.add_argument("--gan", default="./build/gan", help="gan.c binary (default ./build/gan)")
    p.add_argument("--batch-sizes", type=int_list, default=[64, 256], help="default 64,256")
    p.add_argument("--steps", type=int_list, default=None,
                   help="steps per run: one value for all batch sizes, or one per batch size "
                        f"(default {CFG['default_steps']}, else ~{CFG['default_images']} images)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--log-every", type=int, default=0,
                   help="log interval in steps (default steps/20)")
    p.add_argument("--engines", default="gan,torch", help="which to run: gan,torch (default both)")
    p.add_argument("--repeats", type=int, default=1,
                   help="runs per engine and batch size, interleaved; the median throughput "
                        "and the largest peak are reported (default 1)")
    p.add_argument("--data", default=DATA_DIR, help="Fashion-MNIST folder (IDX files)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--keep", metavar="DIR", help="keep the runs' logs under DIR")
    p.add_argument("--json", action="store_true", help="print the results as JSON on stdout")
    p.add_argument("--cpu-time", action="store_true",
                   help="also measure CPU milliseconds per step (user + system time of each "
                        "child, minus that of a second, shorter run to remove start-up): "
                        "steadier than images/s on a busy machine at --threads 1, or with "
                        "OMP_WAIT_POLICY=passive")
    a = p.parse_args(argv)
    a.engines = [e.strip() for e in a.engines.split(",") if e.strip()]
    if not a.engines or any(e not in ("gan", "torch") for e in a.engines):
        p.error("--engines takes gan, torch or gan,torch")
    if a.threads < 1 or a.repeats < 1 or a.log_every < 0:
        p.error("--threads and --repeats must be >= 1, --log-every >= 0")
    if a.steps is None:
        a.steps = [CFG["default_steps"].get(b, max(100, CFG["default_images"] // b))
                   for b in a.batch_sizes]
    elif len(a.steps) == 1:
        a.steps = a.steps * len(a.batch_sizes)
    elif len(a.steps) != len(a.batch_sizes):
        p.error(f"--steps has {len(a.steps)} values for {len(a.batch_sizes)} batch sizes")
    return a


# ------------------------------------------------------------------ machine info

def cpu_model():
    info = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if ":" in line:
                    k, v = (x.strip() for x in line.split(":", 1))
                    if k in ("model name", "cpu family", "model", "vendor_id") and k not in info:
                        info[k] = v
    except OSError:
        return platform.processor() or "unknown"
    name = info.get("model name", "unknown")
    if "cpu family" in info:
        name += f" (family {info['cpu family']}, model {info.get('model', '?')})"
    return name


def blas_alternative():
    """What Debian's libblas.so.3 alternative points at (the BLAS torch links)."""
    link = "/etc/alternatives/libblas.so.3-x86_64-linux-gnu"
    try:
        return os.path.realpath(link) if os.path.lexists(link) else None
    except OSError:
        return None


def rss_mb_self():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def cpu_busy_seconds():
    """(busy, steal) CPU seconds of the whole machine so far, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    hz = os.sysconf("SC_CLK_TCK")
    # user nice system idle iowait irq softirq steal guest guest_nice
    busy = v[0] + v[1] + v[2] + v[5] + v[6]
    steal = v[7] if len(v) > 7 else 0
    return busy / hz, steal / hz


def other_processes():
    """Processes other than ours using CPU right now (a one-second sample), for the warning."""
    def snap():
        r = {}
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/stat") as f:
                    st = f.read()
            except OSError:
                continue
            comm = st[st.index("(") + 1:st.rindex(")")]
            fields = st[st.rindex(")") + 2:].split()
            r[int(pid)] = (comm, int(fields[11]) + int(fields[12]))
        return r
    a = snap()
    time.sleep(1.0)
    b = snap()
    hz = os.sysconf("SC_CLK_TCK")
    out = [(round((b[p][1] - a[p][1]) / hz, 2), p, b[p][0]) for p in b
           if p in a and p != os.getpid() and (b[p][1] - a[p][1]) / hz > 0.1]
    return sorted(out, reverse=True)


# ---------------------------------------------------------------- running a child

def run_child(argv, workdir, name, threads):
    """Run argv as a child (stdout/stderr to files), reap it with os.wait4.

    Returns (wall_seconds, peak_rss_mb, stderr_text, others_share, load): others_share is
    the fraction of the machine's CPU time during the run used by anything but this child
    (other processes, plus steal time): a high value means the timing is not trustworthy;
    load is the 1-minute load average just before and just after the run."""
    env = dict(os.environ)
    env["OPENBLAS_CORETYPE"] = "Haswell"
    env["OMP_NUM_THREADS"] = str(threads)
    out_path = os.path.join(workdir, f"{name}.stdout")
    err_path = os.path.join(workdir, f"{name}.stderr")
    log(f"running: {' '.join(argv)}")
    load0 = loadavg()
    busy0, steal0 = cpu_busy_seconds()
    t0 = time.perf_counter()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env)
        except OSError as e:
            raise BenchError(f"{name}: cannot start {argv[0]}: {e}")
        try:
            _, status, ru = os.wait4(proc.pid, 0)
        except KeyboardInterrupt:
            proc.kill()
            os.wait4(proc.pid, 0)
            raise
        proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped: keep Popen quiet
    wall = time.perf_counter() - t0
    busy1, steal1 = cpu_busy_seconds()
    load1 = loadavg()
    child_cpu = ru.ru_utime + ru.ru_stime
    others = max(0.0, (busy1 - busy0) - child_cpu) + (steal1 - steal0)
    others_share = others / (wall * (os.cpu_count() or 1))
    with open(err_path, errors="replace") as f:
        err_text = f.read()
    if proc.returncode != 0:
        with open(out_path, errors="replace") as f:
            out_tail = f.read()[-2000:]
        how = (f"was killed by signal {-proc.returncode}" if proc.returncode < 0
               else f"exited with status {proc.returncode}")
        raise BenchError(f"{name} {how}\ncommand: {' '.join(argv)}\n"
                         f"--- stdout (tail) ---\n{out_tail}\n--- stderr (tail) ---\n{err_text[-4000:]}")
    load = [load0[0] if load0 else None, load1[0] if load1 else None]
    run_child.cpu_s = child_cpu  # user + system seconds of the child (read by --cpu-time)
    return wall, ru.ru_maxrss / 1024.0, err_text, others_share, load  # ru_maxrss: KiB


def read_log(path, name, steps, log_every):
    if not os.path.isfile(path):
        raise BenchError(f"{name}: no log at {path}")
    rows = []
    with open(path) as f:
        for i, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise BenchError(f"{path}:{i}: not JSON ({e}): {line[:200]}")
            missing = [k for k in REQUIRED_KEYS if k not in rec]
            if missing:
                raise BenchError(f"{path}:{i}: missing {', '.join(missing)}: {line[:200]}")
            if rows and rec["step"] == rows[-1]["step"]:
                continue  # the same step logged twice (e.g. interval and epoch end)
            if rows and (rec["step"] < rows[-1]["step"] or rec["seconds"] < rows[-1]["seconds"]):
                raise BenchError(f"{path}:{i}: step/seconds go backwards: {line[:200]}")
            rows.append(rec)
    if not rows:
        raise BenchError(f"{name}: {path} is empty")
    last = rows[-1]["step"]
    if not (steps - log_every < last <= steps):
        raise BenchError(f"{name}: {path} ends at step {last}, expected {steps}")
    return rows


def throughput(rows, steps, batch, name):
    """images/s over the lines after the warm-up (step >= 10% of steps, never the first line)."""
    kept = [r for r in rows[1:] if r["step"] >= 0.1 * steps]
    if len(kept) < 2:
        raise BenchError(f"{name}: only {len(kept)} log lines after the warm-up; "
                         f"need 2 or more (lower --log-every or raise --steps)")
    first, last = kept[0], kept[-1]
    dt = last["seconds"] - first["seconds"]
    if dt <= 0:
        raise BenchError(f"{name}: no time elapsed between steps {first['step']} and {last['step']}")
    ips = (last["step"] - first["step"]) * batch / dt
    return ips, {"from_step": first["step"], "to_step": last["step"], "seconds": dt,
                 "interval_median": statistics.median(r["images_per_s"] for r in kept[1:])
                 if len(kept) > 1 else None,
                 "final_loss_d": last["loss_d"], "final_loss_g": last["loss_g"]}


def engine_argv(engine, a, batch, steps, log_every, outdir):
    if engine == "gan":
        model = ["--model", CFG["model"]] if CFG["model"] else []
        return [a.gan, "train", *model, "--data", a.data, "--batch-size", str(batch),
                "--steps", str(steps), "--threads", str(a.threads), "--log-every",
                str(log_every), "--out", outdir, "--seed", str(a.seed)]
    data_file = os.path.join(a.data, "train-images-idx3-ubyte.gz")
    if not os.path.exists(data_file):
        data_file = os.path.join(a.data, "train-images-idx3-ubyte")
    return [PYTHON, CFG["torch_script"], "--batch-size", str(batch), "--steps", str(steps),
            "--threads", str(a.threads), "--log-every", str(log_every), "--out", outdir,
            "--data", data_file, "--seed", str(a.seed)]


def parse_torch_stderr(text):
    blas, version = [], None
    for line in text.splitlines():
        name, _, rest = line.partition(": ")
        if not name.startswith("torch_"):
            continue
        if rest.startswith("BLAS loaded: "):
            blas.append(rest[len("BLAS loaded: "):])
        elif rest.startswith("torch "):
            version = rest[len("torch "):].split(",")[0]
    return version, blas


# ------------------------------------------------------------------------- main

def check_setup(a):
    if "gan" in a.engines:
        if not os.path.isfile(a.gan):
            raise BenchError(f"gan.c binary not found: {a.gan} (build it, or pass --gan PATH)")
        if not os.access(a.gan, os.X_OK):
            raise BenchError(f"gan.c binary is not executable: {a.gan}")
    if "torch" in a.engines:
        if not os.access(PYTHON, os.X_OK):
            raise BenchError(f"{PYTHON} not found (Debian's python3 with torch is required)")
        if not os.path.isfile(CFG["torch_script"]):
            raise BenchError(f"{CFG['torch_script']} not found")
    if not os.path.isdir(a.data):
        raise BenchError(f"data folder not found: {a.data}")


def bench(a):
    check_setup(a)
    workroot = a.keep or tempfile.mkdtemp(prefix=CFG["name"] + ".")
    os.makedirs(workroot, exist_ok=True)
    driver_rss = rss_mb_self()
    machine = {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "libblas_alternative": blas_alternative(),
        "OPENBLAS_CORETYPE": os.environ["OPENBLAS_CORETYPE"],
        "torch_version": None,
        "torch_blas": [],
        "driver_rss_mb": round(driver_rss, 1),
    }
    results = []
    try:
        for batch, steps in zip(a.batch_sizes, a.steps):
            log_every = a.log_every or max(1, steps // 20)
            runs = {e: [] for e in a.engines}
            for rep in range(a.repeats):
                for engine in a.engines:
                    name = f"{engine}_b{batch}_r{rep}"
                    outdir = os.path.join(workroot, name)
                    os.makedirs(outdir, exist_ok=True)
                    argv = engine_argv(engine, a, batch, steps, log_every, outdir)
                    wall, peak, err_text, others, load = run_child(argv, outdir, name, a.threads)
                    rows = read_log(os.path.join(outdir, "log.jsonl"), name, steps, log_every)
                    ips, extra = throughput(rows, steps, batch, name)
                    if engine == "torch":
                        version, blas = parse_torch_stderr(err_text)
                        machine["torch_version"] = machine["torch_version"] or version
                        machine["torch_blas"] = machine["torch_blas"] or blas
                    log(f"{name}: {ips:,.0f} images/s, peak {peak:,.0f} MB, {wall:.1f} s wall, "
                        f"other load {others:.0%} of the CPUs, load average {load[0]} -> {load[1]}")
                    if others > BUSY_WARN:
                        log(f"warning: other processes used {others:.0%} of the machine's CPU "
                            f"during {name}; its timing is not trustworthy. Busy now: "
                            + (", ".join(f"{c}[{p}] {s:.1f} cpu-s/s" for s, p, c in other_processes())
                               or "(nothing)"))
                    cpu_ms = None
                    if a.cpu_time:
                        cpu_long = run_child.cpu_s
                        short = max(10, steps // 5)
                        sdir = os.path.join(workroot, name + "_short")
                        os.makedirs(sdir, exist_ok=True)
                        sargv = engine_argv(engine, a, batch, short, short, sdir)
                        run_child(sargv, sdir, name + "_short", a.threads)
                        read_log(os.path.join(sdir, "log.jsonl"), name + "_short", short, short)
                        cpu_ms = 1e3 * (cpu_long - run_child.cpu_s) / (steps - short)
                        log(f"{name}: {cpu_ms:.1f} CPU ms per step "
                            f"({steps} steps minus {short})")
                    runs[engine].append({"images_per_s": ips, "peak_mb": peak, "wall_s": wall,
                                         "others_cpu_share": others, "loadavg_1min": load,
                                         "cpu_ms_per_step": cpu_ms, "command": argv, **extra})
            row = {"batch": batch, "steps": steps, "log_every": log_every, "threads": a.threads}
            for engine, rs in runs.items():
                row[engine] = {
                    "images_per_s": statistics.median(r["images_per_s"] for r in rs),
                    "peak_mb": max(r["peak_mb"] for r in rs),
                    "others_cpu_share_max": max(r["others_cpu_share"] for r in rs),
                    "cpu_ms_per_step": statistics.median(r["cpu_ms_per_step"] for r in rs)
                    if a.cpu_time else None,
                    "runs": rs,
                }
            if "gan" in runs and "torch" in runs:
                row["speed_ratio"] = row["gan"]["images_per_s"] / row["torch"]["images_per_s"]
                row["memory_ratio"] = row["gan"]["peak_mb"] / row["torch"]["peak_mb"]
                if a.cpu_time:
                    row["cpu_ratio"] = (row["torch"]["cpu_ms_per_step"] /
                                        row["gan"]["cpu_ms_per_step"])
            results.append(row)
    except BenchError as e:
        raise BenchError(f"{e}\n(the runs' output is kept in {workroot})")
    if not a.keep:
        shutil.rmtree(workroot, ignore_errors=True)
    return machine, results


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def print_table(a, machine, results):
    g = lambda row, e, k: row[e][k] if e in row else None  # noqa: E731
    print(f"{CFG['title']} training on the CPU, {a.threads} threads "
          f"(images/s after warm-up; peak = max RSS from wait4, MB = 2^20 bytes)")
    print(f"machine: {machine['cpu']}, {machine['cores']} cores, Linux {machine['kernel']}")
    print(f"date:    {machine['date_utc']}")
    if "torch" in a.engines:
        print(f"torch:   {machine['torch_version']}; BLAS loaded: "
              + ("; ".join(machine["torch_blas"]) or "(not reported)"))
        print(f"libblas.so.3 alternative: {machine['libblas_alternative']}")
    if "gan" in a.engines:
        print(f"gan.c:   {a.gan}")
    print(f"OPENBLAS_CORETYPE={machine['OPENBLAS_CORETYPE']}"
          + (f", median of {a.repeats} runs" if a.repeats > 1 else ""))
    print()
    hdr = ["batch", "steps", "gan.c img/s", "PyTorch img/s", "gan.c/PyTorch",
           "gan.c peak MB", "PyTorch peak MB", "mem gan.c/PyTorch"]
    if a.cpu_time:
        hdr += ["gan.c CPU ms/step", "PyTorch CPU ms/step", "CPU PyTorch/gan.c"]
    lines = [hdr]
    for row in results:
        lines.append([
            str(row["batch"]), str(row["steps"]),
            fmt(g(row, "gan", "images_per_s"), ",.0f"), fmt(g(row, "torch", "images_per_s"), ",.0f"),
            fmt(row.get("speed_ratio"), ".2f") + ("x" if "speed_ratio" in row else ""),
            fmt(g(row, "gan", "peak_mb"), ",.0f"), fmt(g(row, "torch", "peak_mb"), ",.0f"),
            fmt(row.get("memory_ratio"), ".2f") + ("x" if "memory_ratio" in row else ""),
        ] + ([fmt(g(row, "gan", "cpu_ms_per_step"), ".1f"),
              fmt(g(row, "torch", "cpu_ms_per_step"), ".1f"),
              fmt(row.get("cpu_ratio"), ".2f") + ("x" if "cpu_ratio" in row else "")]
             if a.cpu_time else []))
    widths = [max(len(r[i]) for r in lines) for i in range(len(hdr))]
    for i, r in enumerate(lines):
        print("  ".join(c.rjust(w) for c, w in zip(r, widths)))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    worst = max((row[e]["others_cpu_share_max"] for row in results for e in a.engines), default=0)
    print()
    if worst > BUSY_WARN:
        print(f"WARNING: other processes used up to {worst:.0%} of the CPUs during a run; "
              "these timings are not trustworthy. Rerun on a quiet machine.")
    else:
        print(f"other load during the runs: at most {worst:.0%} of the CPUs")
    for row in results:
        loads = "; ".join(
            f"{'gan.c' if e == 'gan' else 'PyTorch'} "
            + ", ".join(f"{r['loadavg_1min'][0]} -> {r['loadavg_1min'][1]}" for r in row[e]["runs"])
            for e in a.engines if e in row)
        print(f"load average (1 min) before -> after each run, batch {row['batch']}: {loads}")


def main(argv=None):
    a = parse_args(argv)
    try:
        machine, results = bench(a)
    except BenchError as e:
        print(f"{CFG['name']}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{CFG['name']}: interrupted", file=sys.stderr)
        return 130
    if a.json:
        json.dump({"machine": machine, "threads": a.threads, "gan": a.gan if "gan" in a.engines else None,
                   "results": results}, sys.stdout, indent=2)
        print()
    else:
        print_table(a, machine, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
