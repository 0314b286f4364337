#!/usr/bin/env python3
"""Held-out accuracy of the EXPORTED built-in clip-shapes model under the kind of shift it meets in
the app: JPEG compression, blur, rotations it was not trained with, outlined (unfilled) shapes and
two shapes in one picture. Writes fresh pictures (seed SHIFT_SEED, never used for training or for the
main held-out set) to --root, ranks them through transformers.js + onnxruntime-node
(tools/eval_clip_shapes_shift.mjs, the same loading path as tools/eval_clip_shapes.mjs) and writes the
`shift` section of tools/clip_shapes_metrics.json.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/eval_clip_shapes_shift.py                 # fp32
    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/eval_clip_shapes_shift.py --dtype fp32 q8 # + onnx/*_quantized.onnx

Conditions (one folder each; `clean`, `jpeg_*` and `blur_*` are the same pictures, so they compare
paired):
  clean          the training distribution (filled, rotation +-20 deg), PNG
  jpeg_qN        the clean pictures saved as JPEG at quality N (PIL, 4:2:0), decoded by sharp
  blur_Npct      the clean pictures with a Gaussian blur, sigma = N % of the shorter side
  rot_any        rotation uniform in 0-360 deg
  rot_unseen     rotation uniform in 25-65 deg, i.e. >= 25 deg from every orientation trained on
                 (training: +-20 deg, plus 90-degree turns and flips as augmentation)
  outline_thick  unfilled shapes, line width 15 % of the shape's size (rotation +-20 deg)
  outline_thin   unfilled shapes, line width 6 %
  two_shapes     two shapes of different colour AND different shape, one in each half of the picture

Figures per condition: top-1 accuracy for colour+shape (30 labels), colour (6), shape (5); for
two_shapes: top-1 is one of the two (`top1_in_set`) and the top two are exactly the two
(`top2_is_set`), for each of the three label sets.
"""
import argparse
import hashlib
import io
import json
import os
import subprocess
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
from PIL import Image, ImageFilter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clip_shapes_lib as L  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHIFT_SEED = 20261201  # training uses 1234000+chunk, the main held-out set 987654321
TEMPLATE = "a photo of a {}."
JPEG_QUALITIES = (90, 50, 25, 10)
BLUR_PCT = (1, 2, 4)
CONDITIONS = (["clean"] + [f"jpeg_q{q}" for q in JPEG_QUALITIES] + [f"blur_{p}pct" for p in BLUR_PCT]
              + ["rot_any", "rot_unseen", "outline_thick", "outline_thin", "two_shapes"])


def save(arr, folder, name, fmt="PNG", quality=None):
    img = Image.fromarray(arr)
    if fmt == "JPEG":
        img.save(os.path.join(folder, name), format="JPEG", quality=quality)
    else:
        img.save(os.path.join(folder, name))


def write_sets(root, per_class):
    """All condition folders under root; returns {condition: items} (item: file + labels [[c, s], ...])."""
    out = {}
    classes = [(ci, si) for ci in range(len(L.COLOURS)) for si in range(len(L.SHAPES))]
    dirs = {c: os.path.join(root, c) for c in CONDITIONS}
    for d in dirs.values():
        os.makedirs(d, exist_ok=True)
    for c in CONDITIONS:
        out[c] = []
    # clean + its JPEG / blur versions (paired)
    rng = np.random.default_rng(SHIFT_SEED)
    k = 0
    for _ in range(per_class):
        for ci, si in classes:
            arr = L.render_image(rng, ci, si)
            lab = [[ci, si]]
            save(arr, dirs["clean"], f"{k:05d}.png")
            out["clean"].append({"file": f"{k:05d}.png", "labels": lab})
            for q in JPEG_QUALITIES:
                save(arr, dirs[f"jpeg_q{q}"], f"{k:05d}.jpg", "JPEG", q)
                out[f"jpeg_q{q}"].append({"file": f"{k:05d}.jpg", "labels": lab})
            for p in BLUR_PCT:
                sigma = p / 100 * min(arr.shape[:2])
                b = np.asarray(Image.fromarray(arr).filter(ImageFilter.GaussianBlur(sigma)))
                save(b, dirs[f"blur_{p}pct"], f"{k:05d}.png")
                out[f"blur_{p}pct"].append({"file": f"{k:05d}.png", "labels": lab})
            k += 1
    single = {"rot_any": dict(rot_range=(0, 360)), "rot_unseen": dict(rot_range=(25, 65)),
              "outline_thick": dict(stroke=0.15), "outline_thin": dict(stroke=0.06)}
    for j, (cond, kw) in enumerate(single.items(), start=1):
        rng = np.random.default_rng(SHIFT_SEED + j)
        k = 0
        for _ in range(per_class):
            for ci, si in classes:
                save(L.render_image(rng, ci, si, **kw), dirs[cond], f"{k:05d}.png")
                out[cond].append({"file": f"{k:05d}.png", "labels": [[ci, si]]})
                k += 1
    rng = np.random.default_rng(SHIFT_SEED + 99)
    for k in range(per_class * len(classes)):
        ca, cb = rng.choice(len(L.COLOURS), 2, replace=False)
        sa, sb = rng.choice(len(L.SHAPES), 2, replace=False)
        a, b = (int(ca), int(sa)), (int(cb), int(sb))
        save(L.render_two(rng, a, b), dirs["two_shapes"], f"{k:05d}.png")
        out["two_shapes"].append({"file": f"{k:05d}.png", "labels": [list(a), list(b)]})
    for cond, items in out.items():
        with open(os.path.join(dirs[cond], "labels.json"), "w") as f:
            json.dump({"colours": L.COLOURS, "shapes": L.SHAPES, "items": items}, f)
    return out


def score(items, ranks):
    """Figures for one condition from the node script's top-2 label indices."""
    n_s = len(L.SHAPES)
    truth = {
        "colour_shape": [{c * n_s + s for c, s in it["labels"]} for it in items],
        "colour": [{c for c, _ in it["labels"]} for it in items],
        "shape": [{s for _, s in it["labels"]} for it in items],
    }
    res = {"n": len(items)}
    two = len(items[0]["labels"]) == 2
    for k, sets in truth.items():
        top1 = np.mean([r[0] in t for r, t in zip(ranks[k], sets)])
        if two:
            res[k] = {"top1_in_set": round(float(top1), 4),
                      "top2_is_set": round(float(np.mean([set(r) == t for r, t in zip(ranks[k], sets)])), 4)}
        else:
            res[k] = round(float(top1), 4)
    if not two:  # shape accuracy per true shape, and its most common wrong answer
        by = {}
        for si, name in enumerate(L.SHAPES):
            preds = [r[0] for r, it in zip(ranks["shape"], items) if it["labels"][0][1] == si]
            wrong = [p for p in preds if p != si]
            by[name] = {"acc": round(float(np.mean([p == si for p in preds])), 4),
                        "most_common_wrong": L.SHAPES[max(set(wrong), key=wrong.count)] if wrong else None}
        res["shape_by_true_shape"] = by
    return res


def sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=os.path.join(REPO, "public/models/"))
    ap.add_argument("--model", default="builtin/clip-shapes")
    ap.add_argument("--dtype", nargs="+", default=["fp32"], choices=["fp32", "q8"])
    ap.add_argument("--per-class", type=int, default=20, help="pictures per colour x shape class and condition")
    ap.add_argument("--root", default="/tmp/clip_shapes_shift")
    ap.add_argument("--metrics", default=os.path.join(REPO, "tools/clip_shapes_metrics.json"))
    ap.add_argument("--reuse-ranks", action="store_true",
                    help="re-score the pictures and ranks_<dtype>.json already in --root (no rendering, no node)")
    args = ap.parse_args()
    t0 = time.time()
    if args.reuse_ranks:
        sets = {c: json.load(open(os.path.join(args.root, c, "labels.json")))["items"] for c in CONDITIONS}
        assert all(len(v) == args.per_class * 30 for v in sets.values()), "--per-class differs from the pictures in --root"
    else:
        sets = write_sets(args.root, args.per_class)
    print(f"{'reused' if args.reuse_ranks else 'wrote'} {sum(len(v) for v in sets.values())} pictures ({len(sets)} conditions, seed {SHIFT_SEED}) "
          f"to {args.root} in {time.time() - t0:.0f}s", flush=True)
    results = {}
    for dtype in args.dtype:
        out = os.path.join(args.root, f"ranks_{dtype}.json")
        cmd = ["node", os.path.join(REPO, "tools/eval_clip_shapes_shift.mjs"), "--models", args.models,
               "--model", args.model, "--dtype", dtype, "--root", args.root, "--out", out]
        print("running:", " ".join(cmd), flush=True)
        if not args.reuse_ranks:
            subprocess.run(cmd, check=True, cwd=REPO)
        node = json.load(open(out))
        res = {c: score(sets[c], node["conditions"][c]) for c in CONDITIONS}
        files = {f: {"bytes": size, "sha256": sha256(os.path.join(args.models, f))[:16]} for f, size in node["files"]}
        results[dtype] = {"files": files, "conditions": res}
        print(f"\nSHIFT, exported ONNX ({dtype}) via transformers.js/onnxruntime-node, template {TEMPLATE!r}:")
        print(f"  {'condition':14s} {'n':>5s}  colour+shape  colour   shape")
        for c, r in res.items():
            if isinstance(r["colour"], dict):
                for m in ("top1_in_set", "top2_is_set"):
                    print(f"  {c + ' ' + m:14s} {r['n']:5d}  " + "  ".join(
                        f"{100 * r[k][m]:9.2f}%" for k in ("colour_shape", "colour", "shape")))
            else:
                print(f"  {c:14s} {r['n']:5d}  " + "  ".join(
                    f"{100 * r[k]:9.2f}%" for k in ("colour_shape", "colour", "shape")))
    metrics = json.load(open(args.metrics)) if os.path.exists(args.metrics) else {}
    prev = metrics.get("shift", {})
    same = prev.get("seed") == SHIFT_SEED and prev.get("per_class") == args.per_class \
        and prev.get("conditions") == CONDITIONS_DOC
    shift = {"seed": SHIFT_SEED, "per_class": args.per_class, "template": TEMPLATE,
             "script": "tools/eval_clip_shapes_shift.py", "conditions": CONDITIONS_DOC,
             "by_dtype": {**(prev.get("by_dtype", {}) if same else {}), **results}}
    metrics["shift"] = shift
    with open(args.metrics, "w") as f:
        json.dump(metrics, f, indent=2)
    print(f"wrote the shift section of {args.metrics}; {time.time() - t0:.0f}s")


CONDITIONS_DOC = {
    "clean": "training distribution (filled, rotation +-20 deg), PNG",
    **{f"jpeg_q{q}": f"the clean pictures as JPEG quality {q} (PIL, 4:2:0)" for q in JPEG_QUALITIES},
    **{f"blur_{p}pct": f"the clean pictures, Gaussian blur sigma {p} % of the shorter side" for p in BLUR_PCT},
    "rot_any": "rotation uniform 0-360 deg",
    "rot_unseen": "rotation uniform 25-65 deg (>= 25 deg from every trained orientation)",
    "outline_thick": "unfilled, line width 15 % of the shape size",
    "outline_thin": "unfilled, line width 6 % of the shape size",
    "two_shapes": "two shapes, different colour and different shape, one per half",
}

if __name__ == "__main__":
    main()
