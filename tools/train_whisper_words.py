#!/usr/bin/env python3
"""Train the built-in speech model `builtin/whisper-words` (a small Whisper-architecture model
that transcribes the ten words yes/no/up/down/left/right/on/off/stop/go) and export it in the
Hugging Face Hub layout transformers.js loads for WhisperForConditionalGeneration:
config.json, generation_config.json, preprocessor_config.json, tokenizer.json,
tokenizer_config.json, onnx/encoder_model.onnx, onnx/decoder_model_merged.onnx.

Usage (from the repo root):
    OPENBLAS_NUM_THREADS=2 /usr/bin/python3 tools/train_whisper_words.py           # full run
    OPENBLAS_NUM_THREADS=2 /usr/bin/python3 tools/train_whisper_words.py --quick   # ~2 min smoke test
        (--out /tmp/x/builtin/whisper-words --metrics /tmp/x/metrics.json --eval-dir /tmp/x/eval
         to write elsewhere)

Data: espeak-ng speech of the ten words (many voices / variants, speeds, pitches), placed in
0.5-5 s recordings with random leading silence, gain, room / microphone colouring and
background noise (white / pink / brown / hum) at random SNRs, plus noise-only / silent
recordings with an empty transcript. Features = numpy re-implementation of transformers.js's
WhisperFeatureExtractor (checked against it). A set of voices is held out for evaluation.

Training: phase 1 on the first --crop frames of the log-mel (the rest of a 30 s window is
zero padding, whose features are a constant), phase 2 fine-tunes on the full 3000-frame input.
Then the EXPORTED ONNX files are evaluated on the held-out voices through transformers.js +
onnxruntime-node (tools/eval_whisper_words.mjs) and tools/whisper_words_metrics.json is written.
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # no spinning when the cores are shared

import numpy as np
import torch
import torch.nn.functional as F
from multiprocessing import Pool

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import whisper_words_lib as L  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIMS = dict(d=128, heads=4, enc_layers=2, dec_layers=2, mlp=512, factor_dim=32)
TRAIN_SEED = 1234
EVAL_SEED = 987654321  # never used for training data
TEMPLATES = [" {}", " [{}]", " This is a sound of {}."]


def log(*a):
    print(*a, flush=True)


def prosody(rng):
    return int(rng.integers(110, 230)), int(rng.integers(20, 85)), int(rng.integers(60, 160))


def synth_set(voices, per_voice, seed, procs=2, cache_dir="/tmp"):
    """Clean utterances: every word for every voice, `per_voice` random prosodies each."""
    rng = np.random.default_rng(seed)
    jobs = []
    for (b, v) in voices:
        for w in L.WORDS:
            for _ in range(per_voice):
                jobs.append((w, b, v) + prosody(rng))
    key = hashlib.sha1(json.dumps(jobs).encode()).hexdigest()[:16]
    path = os.path.join(cache_dir, f"whisper_words_synth_{key}.npz")
    if os.path.exists(path):
        z = np.load(path, allow_pickle=True)
        return list(z["clips"]), jobs
    with Pool(procs) as pool:
        clips = pool.map(L.synth_job, jobs, chunksize=16)
    arr = np.empty(len(clips), dtype=object)
    arr[:] = clips
    np.savez(path, clips=arr)
    return clips, jobs


def text_variant(rng, word):
    """Training transcript for a spoken word (mostly the plain lowercase word)."""
    u = rng.random()
    if u < 0.62:
        return " " + word
    if u < 0.70:
        return " " + word.capitalize()
    if u < 0.74:
        return " " + word.capitalize() + "."
    if u < 0.76:
        return " " + word + "."
    if u < 0.88:
        return " [" + word + "]"
    return " This is a sound of " + word + "."


class Sampler:
    def __init__(self, clips, jobs, tok, seed, p_noise=0.08, min_snr=0.0):
        self.clips, self.jobs, self.tok = clips, jobs, tok
        self.rng = np.random.default_rng(seed)
        self.p_noise, self.min_snr = p_noise, min_snr
        self.cache = {}

    def ids(self, text):
        if text not in self.cache:
            self.cache[text] = L.PROMPT + self.tok.encode(text) + [L.EOT]
        return self.cache[text]

    def batch(self, B, crop):
        feats, seqs, labels = [], [], []
        for _ in range(B):
            if self.rng.random() < self.p_noise:
                a = L.augment_clip(self.rng, None, noise_only=True)
                text = ""
                labels.append(len(L.WORDS))
            else:
                j = int(self.rng.integers(len(self.clips)))
                a = L.augment_clip(self.rng, self.clips[j], min_snr=self.min_snr)
                text = text_variant(self.rng, self.jobs[j][0])
                labels.append(L.WORDS.index(self.jobs[j][0]))
            f = L.log_mel(a, min(crop, 600))
            if crop > 600:
                f = L.pad_features(f, crop)
            feats.append(f)
            seqs.append(self.ids(text))
        Lmax = max(len(s) for s in seqs)
        ids = np.full((B, Lmax), L.EOT, np.int64)
        tgt_mask = np.zeros((B, Lmax - 1), np.float32)
        for i, s in enumerate(seqs):
            ids[i, :len(s)] = s
            tgt_mask[i, len(L.PROMPT) - 1:len(s) - 1] = 1.0  # predict tokens after the prompt (incl. EOT)
        return (torch.from_numpy(np.stack(feats)), torch.from_numpy(ids), torch.from_numpy(tgt_mask),
                torch.tensor(labels))


def loss_fn(model, feats, ids, mask, labels=None, aux=None):
    """Decoder cross-entropy on the tokens after the prompt (+ optional auxiliary word / noise
    classification from the pooled encoder output; training only, not exported)."""
    enc = model.encoder(feats)
    logits = model.decoder(ids[:, :-1], enc)[0]
    ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1), reduction="none")
    ce = (ce * mask.reshape(-1)).sum() / mask.sum()
    with torch.no_grad():
        tok_ok = ((logits.argmax(-1) == ids[:, 1:]).float() * mask).sum(1) == mask.sum(1)
    if aux is not None:
        pooled = torch.cat([enc.mean(1), enc.amax(1)], dim=-1)
        ce = ce + aux[1] * F.cross_entropy(aux[0](pooled), labels)
    return ce, tok_ok.float().mean().item()


def train(args, clips, jobs, tok):
    torch.manual_seed(TRAIN_SEED)
    model = L.Whisper(**DIMS)
    aux_head = torch.nn.Linear(2 * DIMS["d"], len(L.WORDS) + 1)
    log(f"params: encoder {sum(p.numel() for p in model.encoder.parameters()):,} "
        f"decoder {sum(p.numel() for p in model.decoder.parameters()):,}")
    sampler = Sampler(clips, jobs, tok, TRAIN_SEED)
    params = list(model.parameters()) + (list(aux_head.parameters()) if args.aux_weight > 0 else [])
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01, betas=(0.9, 0.98))
    total = args.steps + args.full_steps
    warm = max(10, args.steps // 20)

    def lr_at(s):
        if s < args.steps:
            return args.lr * min(1.0, (s + 1) / warm) * (0.15 + 0.85 * 0.5 * (1 + np.cos(np.pi * s / args.steps)))
        return args.full_lr * (0.5 * (1 + np.cos(np.pi * (s - args.steps) / max(1, args.full_steps))))

    t0 = time.time()
    model.train()
    hist = []
    for step in range(total):
        full = step >= args.steps
        B = args.full_batch if full else args.batch
        crop = L.N_FRAMES if full else args.crop
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        feats, ids, mask, labels = sampler.batch(B, crop)
        aux_w = args.aux_weight * max(0.0, 1.0 - step / max(1, args.aux_decay * total))
        loss, acc = loss_fn(model, feats, ids, mask, labels, (aux_head, aux_w) if aux_w > 0 else None)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gnorm = torch.nn.utils.clip_grad_norm_(params, 1.0)
        if not (torch.isfinite(loss) and torch.isfinite(gnorm)):
            log(f"step {step}: non-finite loss / gradient, update skipped")
            continue
        opt.step()
        hist.append((loss.item(), acc))
        if step % 20 == 0 or step == total - 1 or step == args.steps:
            l = np.mean([h[0] for h in hist[-20:]])
            a = np.mean([h[1] for h in hist[-20:]])
            log(f"step {step:4d} {'full' if full else 'crop'} loss {l:.3f} seq-acc {a:.3f} lr {lr_at(step):.2e} "
                f"{time.time() - t0:.0f}s")
    train_time = time.time() - t0
    log(f"training time {train_time:.0f}s")
    model.eval()
    return model, train_time


def make_eval_set(args, eval_dir, tok):
    """Held-out voices only (variants in L.HELDOUT_VARIANTS with random base accents, incl. the
    held-out accent en-029), fresh prosody / augmentation (EVAL_SEED)."""
    os.makedirs(os.path.join(eval_dir, "audio"), exist_ok=True)
    rng = np.random.default_rng(EVAL_SEED)
    jobs = []
    variants = L.HELDOUT_VARIANTS[:args.eval_variants]
    for v in variants:
        for w in L.WORDS:
            for _ in range(args.eval_per_word):
                b = L.BASE_VOICES[int(rng.integers(len(L.BASE_VOICES)))]
                jobs.append((w, b, v) + prosody(rng))
    with Pool(2) as pool:
        clips = pool.map(L.synth_job, jobs, chunksize=8)
    items, feats = [], []
    for k, (job, s) in enumerate(zip(jobs, clips)):
        a = L.augment_clip(rng, s, min_snr=args.eval_min_snr)
        name = f"audio/{k:05d}.f32"
        a.astype(np.float32).tofile(os.path.join(eval_dir, name))
        items.append({"file": name, "word": job[0], "voice": L.voice_name(job[1], job[2]),
                      "speed": job[3], "pitch": job[4], "seconds": round(len(a) / L.SAMPLE_RATE, 3)})
        if k < 4:
            feats.append(L.log_mel(a))
    for j in range(args.eval_noise):
        a = L.augment_clip(rng, None, noise_only=True)
        name = f"audio/noise_{j:03d}.f32"
        a.astype(np.float32).tofile(os.path.join(eval_dir, name))
        items.append({"file": name, "word": "", "voice": None, "seconds": round(len(a) / L.SAMPLE_RATE, 3)})
    np.stack(feats).astype(np.float32).tofile(os.path.join(eval_dir, "features_check.f32"))
    strings = [" yes", " [left]", " This is a sound of stop.", " Yes.", "naïve café — 日本語 ünïcödé 🎉",
               " 12345 and 3.14 or 1,000,000", "It's 2 o'clock, isn't it?  Tabs\tand\nnewlines"]
    with open(os.path.join(eval_dir, "tokenizer_check.json"), "w") as f:
        json.dump({"strings": strings, "ids": [tok.encode(s) for s in strings]}, f, ensure_ascii=False)
    with open(os.path.join(eval_dir, "items.json"), "w") as f:
        json.dump({"words": L.WORDS, "templates": TEMPLATES, "prompt": L.PROMPT, "items": items}, f)
    return items


@torch.no_grad()
def torch_scores(model, audio, tok):
    """Zero-shot scores (same definition as the node script) with the torch model, full 30 s input."""
    feats = torch.from_numpy(L.log_mel(audio))[None]
    enc = model.encoder(feats)
    out = {}
    for tpl in TEMPLATES:
        seqs = [L.PROMPT + tok.encode(tpl.format(w)) + [L.EOT] for w in L.WORDS]
        Lmax = max(map(len, seqs))
        ids = torch.full((len(seqs), Lmax), L.EOT, dtype=torch.long)
        for i, s in enumerate(seqs):
            ids[i, :len(s)] = torch.tensor(s)
        logp = model.decoder(ids, enc.expand(len(seqs), -1, -1))[0].log_softmax(-1)
        sc = []
        for i, s in enumerate(seqs):
            t = torch.arange(len(L.PROMPT) - 1, len(s) - 1)
            sc.append(logp[i, t, ids[i, t + 1]].mean().item())
        out[tpl] = sc
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="~2 minute smoke-test run")
    ap.add_argument("--steps", type=int, default=1400, help="phase-1 steps on cropped features")
    ap.add_argument("--full-steps", type=int, default=150, help="phase-2 steps on the full 3000 frames")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--full-batch", type=int, default=16)
    ap.add_argument("--crop", type=int, default=560, help="phase-1 frames (5.6 s)")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--aux-weight", type=float, default=1.0,
                    help="weight of the auxiliary encoder word/noise classifier (training only)")
    ap.add_argument("--aux-decay", type=float, default=0.7,
                    help="the auxiliary weight decays linearly to 0 at this fraction of all steps")
    ap.add_argument("--full-lr", type=float, default=5e-4)
    ap.add_argument("--train-per-voice", type=int, default=1, help="prosodies per training voice and word")
    ap.add_argument("--eval-variants", type=int, default=len(L.HELDOUT_VARIANTS))
    ap.add_argument("--eval-per-word", type=int, default=2)
    ap.add_argument("--eval-noise", type=int, default=30)
    ap.add_argument("--eval-min-snr", type=float, default=5.0)
    ap.add_argument("--out", default=os.path.join(REPO, "public/models/builtin/whisper-words"))
    ap.add_argument("--eval-dir", default="/tmp/whisper_words_eval")
    ap.add_argument("--metrics", default=os.path.join(REPO, "tools/whisper_words_metrics.json"))
    ap.add_argument("--save-torch", default="/tmp/whisper_words_torch.pt")
    ap.add_argument("--eval-threads", type=int, default=0, help="onnxruntime threads for the node evaluation (0: default)")
    ap.add_argument("--export-only", action="store_true",
                    help="skip training: export + evaluate the weights saved in --save-torch")
    ap.add_argument("--train-seconds", type=float, default=0.0, help=argparse.SUPPRESS)
    ap.add_argument("--train-utterances", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", "2")),
                    help="torch threads (1 is faster when another process keeps a core busy)")
    args = ap.parse_args()
    if args.quick:
        args.steps, args.full_steps, args.batch, args.full_batch = 50, 6, 16, 4
        args.eval_variants, args.eval_per_word, args.eval_noise = 3, 1, 3
    torch.set_num_threads(args.threads)
    t_all = time.time()
    tok = L.TiktokenBPE()

    voices = L.train_voices()
    if args.quick:
        voices = [voices[i] for i in np.random.default_rng(0).choice(len(voices), 30, replace=False)]
    if args.export_only:
        ck = torch.load(args.save_torch)
        model = L.Whisper(**ck["dims"])
        model.load_state_dict(ck["state"])
        model.eval()
        # (older checkpoints lack these fields: --train-seconds / --train-utterances)
        train_time = ck.get("train_time", args.train_seconds)
        n_clips = ck.get("train_utterances", args.train_utterances)
        log(f"loaded {args.save_torch} (trained in {train_time:.0f}s)")
    else:
        t0 = time.time()
        clips, jobs = synth_set(voices, args.train_per_voice, TRAIN_SEED)
        n_clips = len(clips)
        log(f"{len(clips)} training utterances from {len(voices)} voices ({time.time() - t0:.0f}s); "
            f"mean {np.mean([len(c) for c in clips]) / L.SAMPLE_RATE:.2f}s")
        model, train_time = train(args, clips, jobs, tok)
        os.makedirs(os.path.dirname(os.path.abspath(args.save_torch)), exist_ok=True)
        torch.save({"state": model.state_dict(), "dims": DIMS, "train_time": train_time,
                    "train_utterances": n_clips, "args": vars(args)}, args.save_torch)

    os.makedirs(os.path.join(args.out, "onnx"), exist_ok=True)
    L.write_configs(args.out, DIMS, extra={"whisper_words": {
        "words": L.WORDS, "templates": TEMPLATES, "trained_by": "tools/train_whisper_words.py",
        "prompt": L.PROMPT}})
    L.export_encoder(model, os.path.join(args.out, "onnx/encoder_model.onnx"))
    L.export_decoder(model, os.path.join(args.out, "onnx/decoder_model_merged.onnx"))
    sizes = {}
    for root, _, files in os.walk(args.out):
        for f in files:
            p = os.path.join(root, f)
            sizes[os.path.relpath(p, args.out)] = os.path.getsize(p)
    log("exported files:", json.dumps(sizes), f"total {sum(sizes.values()) / 1e6:.2f} MB")

    # ---- held-out evaluation ------------------------------------------------------
    items = make_eval_set(args, args.eval_dir, tok)
    log(f"held-out set: {len(items)} clips (seed {EVAL_SEED}) in {args.eval_dir}")
    ref = []
    for it in items[:3]:
        a = np.fromfile(os.path.join(args.eval_dir, it["file"]), dtype=np.float32)
        ref.append(torch_scores(model, a, tok))
    node_out = os.path.join(args.eval_dir, "node_result.json")
    cmd = ["node", os.path.join(REPO, "tools/eval_whisper_words.mjs"),
           "--models", os.path.dirname(os.path.dirname(os.path.abspath(args.out))) + "/",
           "--model", "builtin/" + os.path.basename(os.path.abspath(args.out)), "--eval-dir", args.eval_dir,
           "--out", node_out] + (["--threads", str(args.eval_threads)] if args.eval_threads else [])
    log("running:", " ".join(cmd))
    subprocess.run(cmd, check=True, cwd=REPO)
    node = json.load(open(node_out))
    d_scores = max(abs(x - y) for r, it in zip(ref, node["items"][:3]) for tpl in TEMPLATES
                   for x, y in zip(r[tpl], it["scores"][tpl]))
    log(f"max |torch - onnx| zero-shot scores (3 clips) {d_scores:.2e}")
    words = [it for it in node["items"] if it["word"]]
    by_voice = {}
    for it in words:
        v = it["voice"].split("+")[-1]
        ok = L.WORDS[int(np.argmax(it["probs"][TEMPLATES[0]]))] == it["word"]
        by_voice.setdefault(v, []).append(ok)
    metrics = {
        "heldout_clips": len(words),
        "heldout_noise_clips": node.get("n_noise_clips"),
        "heldout_variants": L.HELDOUT_VARIANTS[:args.eval_variants],
        "heldout_bases": L.HELDOUT_BASES,
        "eval_seed": EVAL_SEED,
        "eval_min_snr_db": args.eval_min_snr,
        "zero_shot_accuracy": node["zero_shot_accuracy"],
        "zero_shot_accuracy_by_variant_default_template": {k: float(np.mean(v)) for k, v in sorted(by_voice.items())},
        "greedy_exact_match": node.get("greedy_exact_match"),
        "noise_empty_transcript": node.get("noise_empty_transcript"),
        "batched_vs_single_max_abs_diff": node["batched_vs_single_max_abs_diff"],
        "features_max_abs_diff_numpy_vs_transformersjs": node.get("features_max_abs_diff"),
        "tokenizer_ids_match_transformersjs": node.get("tokenizer_match"),
        "tokenizer_roundtrip": node.get("tokenizer_roundtrip"),
        "max_abs_diff_torch_vs_onnx_scores": d_scores,
        "pipeline_examples": node.get("pipeline"),
        "dims": DIMS,
        "train_steps": args.steps, "full_steps": args.full_steps, "batch": args.batch,
        "full_batch": args.full_batch, "crop_frames": args.crop,
        "train_utterances": n_clips, "train_voices": len(voices),
        "train_seconds": round(train_time), "total_seconds": round(time.time() - t_all),
        "files_bytes": sizes, "total_bytes": sum(sizes.values()),
        "quick": args.quick,
    }
    with open(args.metrics, "w") as f:
        json.dump(metrics, f, indent=2)
    log("HELD-OUT (exported ONNX via transformers.js/onnxruntime-node, "
        f"{len(words)} clips of unseen voices):")
    for k, v in node["zero_shot_accuracy"].items():
        log(f"  zero-shot {k!r:28s} {100 * v:.2f}%")
    if node.get("greedy_exact_match") is not None:
        log(f"  greedy transcription exact match {100 * node['greedy_exact_match']:.2f}%")
    log(f"wrote {args.metrics}; total time {time.time() - t_all:.0f}s")


if __name__ == "__main__":
    main()
