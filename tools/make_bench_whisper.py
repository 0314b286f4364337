#!/usr/bin/env python3
"""Write the benchmark model bench/.models/whisper-tiny-random/ (git-ignored; never commit it).

Same exporter, file layout and configs as the built-in `builtin/whisper-words`
(tools/whisper_words_lib.py), with Whisper-tiny sizes and random weights (seed 0):
d_model 384, 6 heads, 4 encoder + 4 decoder layers, MLP 1536, full 51865x384 token embedding
(no factorisation; tied output projection stored once), 80 mel bins, 1500 encoder positions,
448 decoder positions.

  onnx/encoder_model.onnx         input_features [B,80,3000] -> last_hidden_state [B,1500,384]
  onnx/decoder_model_merged.onnx  transformers.js merged-decoder interface (see tools/README.md)
  config.json, generation_config.json, preprocessor_config.json, tokenizer.json, tokenizer_config.json

Then it checks in Node (transformers.js + onnxruntime-node) that the model loads, that greedy
generation runs and that the batched zero-shot forward works (tools/eval_whisper_words.mjs on a
few synthetic clips; the accuracies are meaningless for random weights).

Usage (repo root):  OPENBLAS_NUM_THREADS=2 /usr/bin/python3 tools/make_bench_whisper.py [--skip-check]
"""
import argparse
import json
import os
import subprocess
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import whisper_words_lib as L  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = dict(d=384, heads=6, enc_layers=4, dec_layers=4, mlp=1536, factor_dim=0)


def log(*a):
    print(*a, flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(REPO, "bench/.models/whisper-tiny-random"))
    ap.add_argument("--skip-check", action="store_true")
    ap.add_argument("--eval-dir", default="/tmp/whisper_tiny_random_eval")
    args = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    t0 = time.time()
    torch.manual_seed(0)
    model = L.Whisper(**TINY).eval()
    log(f"params: encoder {sum(p.numel() for p in model.encoder.parameters()):,} "
        f"decoder {sum(p.numel() for p in model.decoder.parameters()):,}")
    os.makedirs(os.path.join(args.out, "onnx"), exist_ok=True)
    L.write_configs(args.out, TINY, name="whisper-tiny-random",
                    extra={"bench_note": "random weights, Whisper-tiny sizes; tools/make_bench_whisper.py"})
    L.export_encoder(model, os.path.join(args.out, "onnx/encoder_model.onnx"))
    L.export_decoder(model, os.path.join(args.out, "onnx/decoder_model_merged.onnx"))
    sizes = {}
    for root, _, files in os.walk(args.out):
        for f in files:
            p = os.path.join(root, f)
            sizes[os.path.relpath(p, args.out)] = os.path.getsize(p)
    log("exported files:", json.dumps(sizes), f"total {sum(sizes.values()) / 1e6:.2f} MB ({time.time() - t0:.0f}s)")
    if args.skip_check:
        return

    # a few synthetic clips (any voice) to exercise loading, features, scoring and generation
    ed = args.eval_dir
    os.makedirs(os.path.join(ed, "audio"), exist_ok=True)
    rng = np.random.default_rng(0)
    items = []
    for k, (w, v) in enumerate([("yes", "en-us"), ("stop", "en-gb+f2"), ("", None)]):
        a = L.augment_clip(rng, L.espeak(w, v) if w else None, noise_only=not w)
        name = f"audio/{k:05d}.f32"
        a.astype(np.float32).tofile(os.path.join(ed, name))
        items.append({"file": name, "word": w, "voice": v or ""})
    with open(os.path.join(ed, "items.json"), "w") as f:
        json.dump({"words": L.WORDS, "templates": [" {}"], "prompt": L.PROMPT, "items": items}, f)
    # torch reference for the batched zero-shot scores of clip 0
    with torch.no_grad():
        a = np.fromfile(os.path.join(ed, items[0]["file"]), dtype=np.float32)
        enc = model.encoder(torch.from_numpy(L.log_mel(a))[None])
        tok = L.TiktokenBPE()
        seqs = [L.PROMPT + tok.encode(" " + w) + [L.EOT] for w in L.WORDS]
        Lmax = max(map(len, seqs))
        ids = torch.full((len(seqs), Lmax), L.EOT, dtype=torch.long)
        for i, s in enumerate(seqs):
            ids[i, :len(s)] = torch.tensor(s)
        logp = model.decoder(ids, enc.expand(len(seqs), -1, -1))[0].log_softmax(-1)
        ref = [logp[i, torch.arange(3, len(s) - 1), ids[i, 4:len(s)]].mean().item() for i, s in enumerate(seqs)]
    bench_root = os.path.dirname(os.path.abspath(args.out))
    cmd = ["node", os.path.join(REPO, "tools/eval_whisper_words.mjs"), "--models", bench_root + "/",
           "--model", os.path.basename(os.path.abspath(args.out)), "--eval-dir", ed, "--out",
           os.path.join(ed, "node_result.json"), "--max-new-tokens", "8"]
    log("running:", " ".join(cmd))
    t1 = time.time()
    subprocess.run(cmd, check=True, cwd=REPO)
    node = json.load(open(os.path.join(ed, "node_result.json")))
    d = max(abs(x - y) for x, y in zip(ref, node["items"][0]["scores"][" {}"]))
    log(f"node check done in {time.time() - t1:.0f}s: generated {[it.get('text') for it in node['items']]!r}; "
        f"batched vs single max diff {node['batched_vs_single_max_abs_diff']:.2e}; "
        f"max |torch - onnx| zero-shot scores {d:.2e}")


if __name__ == "__main__":
    main()
