"""Writes the built-in clip-shapes model's held-out set (the same 1,200 pictures, seed and labels that
tools/train_clip_shapes.py evaluated into tools/clip_shapes_metrics.json) to a folder, for the
preprocessing bench's exact-vs-native comparison (npm run bench -- --only=preprocess).

    /usr/bin/python3 tools/make_clip_shapes_heldout.py            # -> bench/.heldout/clip-shapes/
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_clip_shapes as T  # noqa: E402

if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(T.REPO, "bench/.heldout/clip-shapes"))
    ap.add_argument("--per-class", type=int, default=40, help="pictures per colour x shape class (40: the training tool's default)")
    args = ap.parse_args()
    items = T.make_eval_set(args.per_class, args.out)
    print(f"{len(items)} held-out pictures (seed {T.EVAL_SEED}) in {args.out}")
