#!/usr/bin/python3
"""bench_decode.py - decoding and preparing a folder of images: gan.c vs
Pillow with torchvision-style loading, side by side.

    bench/bench_decode.py [--data data/emoji] [--bench build/bench_decode] [--resolution 64]
                          [--repeats 3] [--json]

gan.c (bench/bench_decode.c): gan_dataset_load_with on the folder with the
cache off (list, probe, decode with stb_image, composite, crop, resize, pack),
on 1 thread and on all cores; then the same load from its cache.

Python (Debian's python3 with python3-pil and python3-numpy): what
torchvision's ImageFolder + a DataLoader do for one pass, without torch:
sorted class folders, PIL.Image.open, RGBA composited over white, centre
crop, resize (BOX when shrinking, BILINEAR when enlarging, as gan.c), into an
(N, 3, R, R) uint8 array; in one process, and with a multiprocessing pool of
one worker per core (DataLoader's num_workers). Times are the best of the
repeats; every run reads files the page cache already holds.
"""
import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import time

import numpy as np
from PIL import Image

EXTS = (".png", ".jpg", ".jpeg", ".bmp")


def list_folder(root):
    classes = sorted(d for d in os.listdir(root) if not d.startswith(".") and os.path.isdir(os.path.join(root, d)))
    items = []
    for k, c in enumerate(classes):
        for dirpath, dirnames, files in os.walk(os.path.join(root, c), followlinks=True):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for f in sorted(files):
                if f.lower().endswith(EXTS) and not f.startswith("."):
                    items.append((os.path.join(dirpath, f), k))
    return items


def load_one(args):
    path, r = args
    im = Image.open(path).convert("RGBA")
    bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
    im = Image.alpha_composite(bg, im).convert("RGB")
    s = min(im.size)
    left, top = (im.size[0] - s) // 2, (im.size[1] - s) // 2
    im = im.crop((left, top, left + s, top + s))
    if s != r:
        im = im.resize((r, r), Image.BOX if r < s else Image.BILINEAR)
    return np.asarray(im).transpose(2, 0, 1)


def python_prepare(items, r, workers):
    out = np.empty((len(items), 3, r, r), np.uint8)
    labels = np.array([k for _, k in items], np.uint8)
    jobs = [(p, r) for p, _ in items]
    if workers <= 1:
        for i, j in enumerate(jobs):
            out[i] = load_one(j)
    else:
        with multiprocessing.Pool(workers) as pool:
            for i, a in enumerate(pool.imap(load_one, jobs, chunksize=64)):
                out[i] = a
    return out, labels


def best_of(repeats, fn):
    best = None
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        t = time.perf_counter() - t
        best = t if best is None or t < best else best
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="data/emoji")
    ap.add_argument("--bench", default="build/bench_decode")
    ap.add_argument("--resolution", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    cores = os.cpu_count() or 1
    rows = {}
    for threads in (1, cores):
        cmd = [a.bench, a.data, "--resolution", str(a.resolution), "--channels", "3", "--threads", str(threads),
               "--repeats", str(a.repeats)] + (["--libpng"] if threads == 1 else [])
        print("running", " ".join(cmd), file=sys.stderr)
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        for line in out.splitlines():
            m = json.loads(line)
            key = m["what"] if m["what"] != "prepare" else f"prepare_{threads}"
            if m["what"] == "decode":
                key = "decode_" + m["library"]
            if key not in rows:
                rows[key] = m
    items = list_folder(a.data)
    n = len(items)
    print(f"python: {n} images, 1 process", file=sys.stderr)
    rows["python_1"] = {"seconds": best_of(a.repeats, lambda: python_prepare(items, a.resolution, 1))}
    print(f"python: {n} images, {cores} processes", file=sys.stderr)
    rows[f"python_{cores}"] = {"seconds": best_of(a.repeats, lambda: python_prepare(items, a.resolution, cores))}
    ref, _ = python_prepare(items[:200], a.resolution, 1)
    for r in rows.values():
        r.setdefault("images", n)
        r["images_per_s"] = r["images"] / r["seconds"]
    if a.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"| what | gan.c images/s | Pillow images/s | gan.c / Pillow |")
    print(f"|---|---:|---:|---:|")
    for label, g, p in ((f"prepare {n} images to 3x{a.resolution}x{a.resolution}, 1 core", "prepare_1", "python_1"),
                        (f"prepare, {cores} cores (Pillow: {cores} processes)", f"prepare_{cores}", f"python_{cores}")):
        gi, pi = rows[g]["images_per_s"], rows[p]["images_per_s"]
        print(f"| {label} | {gi:,.0f} | {pi:,.0f} | **{gi / pi:.2f}x** |")
    c = rows["cached"]
    print(f"| gan.c, second load from the cache | {c['images_per_s']:,.0f} ({c['seconds']:.3f} s) | | |")
    for lib in ("stb_image", "libpng"):
        k = "decode_" + lib
        if k in rows:
            print(f"| decode alone (RGBA, 1 core, files in memory): {lib} | {rows[k]['images_per_s']:,.0f} | | |")


if __name__ == "__main__":
    main()
