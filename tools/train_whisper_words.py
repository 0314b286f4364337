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


def synth_festival_set(per_voice_word, seed, cache_dir="/tmp"):
    """festival speech of every word in each of L.FESTIVAL_VOICES, `per_voice_word` random
    renditions each: duration stretch 0.75-1.45, target f0 mean 75-190 Hz (diphone voices), and a
    spoken form with punctuation (statement / exclamation / question intonation)."""
    rng = np.random.default_rng(seed)
    jobs = []
    for v in L.FESTIVAL_VOICES:
        for w in L.WORDS:
            for _ in range(per_voice_word):
                form = L.SPOKEN_FORMS[int(rng.integers(len(L.SPOKEN_FORMS)))]
                jobs.append((w, "festival", v, round(float(rng.uniform(0.75, 1.45)), 3),
                             round(float(rng.uniform(75, 190)), 1), round(float(rng.uniform(6, 30)), 1),
                             form.format(w)))
    key = hashlib.sha1(json.dumps(jobs).encode()).hexdigest()[:16]
    path = os.path.join(cache_dir, f"whisper_words_festival_{key}.npz")
    if os.path.exists(path):
        z = np.load(path, allow_pickle=True)
        if "jobs" in z.files:  # an early cache format kept only the clips: synthesise again
            return list(z["clips"]), [tuple(j) for j in z["jobs"].tolist()]
        log(f"{path}: cache without the kept jobs, synthesising again")
    clips = []
    for v in L.FESTIVAL_VOICES:
        mine = [j for j in jobs if j[2] == v]
        clips += L.festival_batch([(j[6], v, j[3], j[4], j[5]) for j in mine], "/tmp/whisper_words_festival_work")
    order = [j for v in L.FESTIVAL_VOICES for j in jobs if j[2] == v]
    failed = sum(c is None for c in clips)
    if failed:
        log(f"festival failed on {failed} of {len(clips)} utterances (left out)")
    jobs = [j for j, c in zip(order, clips) if c is not None and len(c) > 800]
    clips = [c for c in clips if c is not None and len(c) > 800]
    arr = np.empty(len(clips), dtype=object)
    arr[:] = clips
    jarr = np.empty(len(jobs), dtype=object)
    jarr[:] = jobs
    np.savez(path, clips=arr, jobs=jarr)
    return clips, jobs


BABBLE_PHRASES = ["the weather is nice today", "could you pass me the salt", "we should meet at noon",
                  "I think it is over there", "that was a really good film", "what time does the train leave",
                  "my phone is almost out of battery", "let me call you back later", "thank you very much",
                  "the meeting has been moved", "where did you put the keys", "it is getting late"]


def synth_babble(voices, n, seed):
    """Background talk (never one of the ten words on its own) from training voices, for babble noise."""
    rng = np.random.default_rng(seed)
    jobs = []
    for _ in range(n):
        b, v = voices[int(rng.integers(len(voices)))]
        jobs.append((BABBLE_PHRASES[int(rng.integers(len(BABBLE_PHRASES)))], b, v) + prosody(rng))
    with Pool(2) as pool:
        return pool.map(L.synth_job, jobs, chunksize=8)


def codec_pool(sampler, n, seed, per_call=64):
    """n fully augmented recordings passed through a codec round trip (random codec and bitrate
    per ffmpeg call): (audio, text, label) drawn for a share of the training samples."""
    rng = np.random.default_rng(seed)
    pool = []
    while len(pool) < n:
        raw = [sampler.raw_sample() for _ in range(per_call)]
        coded, _ = L.codec_roundtrip_many(rng, [r[0] for r in raw])
        pool += [(c, t, lab) for c, (_, t, lab) in zip(coded, raw)]
    return pool[:n]


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
    """Training samples: a word from one of the sources (espeak-ng, festival; weights), the capture
    chain (L.augment_capture: room, microphone, noise 0-30 dB, level, clipping, speed, shifts) for
    most samples and the earlier milder chain (L.augment_clip) for the rest; a share is drawn from
    a pool that also went through a codec round trip; noise-only / silent clips with "" as text."""

    def __init__(self, sources, tok, seed, p_noise=0.08, p_v1=0.2, babble=None):
        self.sources, self.tok = sources, tok  # [(clips, jobs, weight)]
        w = np.array([s[2] for s in sources], float)
        self.p_source = w / w.sum()
        self.rng = np.random.default_rng(seed)
        self.p_noise, self.p_v1, self.babble = p_noise, p_v1, babble
        self.cache = {}
        self.pool, self.p_pool = [], 0.0

    def ids(self, text):
        if text not in self.cache:
            self.cache[text] = L.PROMPT + self.tok.encode(text) + [L.EOT]
        return self.cache[text]

    def raw_sample(self):
        """(audio, text, label) without the codec."""
        if self.rng.random() < self.p_noise:
            if self.rng.random() < 0.5:
                return L.augment_clip(self.rng, None, noise_only=True), "", len(L.WORDS)
            return L.augment_capture(self.rng, None, noise_only=True, babble=self.babble), "", len(L.WORDS)
        clips, jobs, _ = self.sources[int(self.rng.choice(len(self.sources), p=self.p_source))]
        j = int(self.rng.integers(len(clips)))
        word = jobs[j][0]
        if self.rng.random() < self.p_v1:
            a = L.augment_clip(self.rng, clips[j])
        else:
            a = L.augment_capture(self.rng, clips[j], babble=self.babble)
        return a, text_variant(self.rng, word), L.WORDS.index(word)

    def batch(self, B, crop):
        feats, seqs, labels = [], [], []
        for _ in range(B):
            if self.pool and self.rng.random() < self.p_pool:
                a, text, lab = self.pool[int(self.rng.integers(len(self.pool)))]
            else:
                a, text, lab = self.raw_sample()
            labels.append(lab)
            f = L.log_mel(a, min(crop, 600))
            if crop > 600:
                f = L.pad_features(f, crop)
            elif f.shape[1] < crop:
                f = L.pad_features(f, crop)
            feats.append(f[:, :crop])
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


def warm_start_state(ck, model):
    """State of a saved checkpoint for `model`, whose token table may have a smaller factor: the
    tied table E_full = E @ up^T is cut to its leading singular directions (the best rank-k fit)."""
    state = dict(ck["state"])
    k = model.decoder.token_embedding.weight.shape[1]
    E, up = state["decoder.token_embedding.weight"], state["decoder.token_up.weight"]
    if E.shape[1] != k:
        U, S, Vh = torch.linalg.svd(E @ up.T, full_matrices=False)
        state["decoder.token_embedding.weight"] = (U[:, :k] * S[:k]).contiguous()
        state["decoder.token_up.weight"] = Vh[:k].T.contiguous()
        kept = float((S[:k] ** 2).sum() / (S ** 2).sum())
        log(f"warm start: token table factor {E.shape[1]} -> {k} (SVD keeps {100 * kept:.2f}% of its energy)")
    return state


def checkpoint_steps(ck):
    """All training steps behind a saved checkpoint (older ones record only their own run's args)."""
    return ck.get("total_steps", ck["args"]["steps"] + ck["args"]["full_steps"])


def load_init(path, metrics_path):
    """The checkpoint to continue from: a torch file of --save-torch, or an exported model folder,
    whose weights are read back from its fp32 ONNX files and whose training history (steps, time,
    utterances) comes from the metrics that run wrote."""
    if not os.path.isdir(path):
        return torch.load(path)
    m = json.load(open(metrics_path))
    state = L.state_from_onnx(L.Whisper(**m["dims"]), path)
    log(f"read the weights of {path} back from its ONNX files ({sum(v.numel() for v in state.values()):,} values); "
        f"training history from {metrics_path}: {m['total_steps']} steps, {m['train_seconds']}s")
    return {"state": state, "dims": m["dims"], "total_steps": m["total_steps"], "train_time": m["train_seconds"],
            "train_utterances": m["train_utterances"], "args": {"steps": m["total_steps"], "full_steps": 0}}


def train(args, sampler, init=None):
    """Trains from scratch, or from the checkpoint `init` (--init-from)."""
    torch.manual_seed(TRAIN_SEED)
    model = L.Whisper(**DIMS)
    if init is not None:
        model.load_state_dict(warm_start_state(init, model))
        log(f"warm start from {args.init_from} ({checkpoint_steps(init)} steps, "
            f"{init.get('train_time', 0):.0f}s of training)")
    aux_head = torch.nn.Linear(2 * DIMS["d"], len(L.WORDS) + 1)
    log(f"params: encoder {sum(p.numel() for p in model.encoder.parameters()):,} "
        f"decoder {sum(p.numel() for p in model.decoder.parameters()):,}")
    params = list(model.parameters()) + (list(aux_head.parameters()) if args.aux_weight > 0 else [])
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01, betas=(0.9, 0.98))
    total = args.steps + args.full_steps
    warm = args.warmup_steps or max(10, args.steps // 20)

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
    items += make_extra_eval_items(args, eval_dir)
    np.stack(feats).astype(np.float32).tofile(os.path.join(eval_dir, "features_check.f32"))
    strings = [" yes", " [left]", " This is a sound of stop.", " Yes.", "naïve café — 日本語 ünïcödé 🎉",
               " 12345 and 3.14 or 1,000,000", "It's 2 o'clock, isn't it?  Tabs\tand\nnewlines"]
    with open(os.path.join(eval_dir, "tokenizer_check.json"), "w") as f:
        json.dump({"strings": strings, "ids": [tok.encode(s) for s in strings]}, f, ensure_ascii=False)
    with open(os.path.join(eval_dir, "items.json"), "w") as f:
        json.dump({"words": L.WORDS, "templates": TEMPLATES, "prompt": L.PROMPT, "items": items}, f)
    return items


# The capture conditions of the held-out condition sets: (name, augment_capture `cond`, codec, kbps).
OFF = dict(speed=False, room=False, mic=False, noise=False, clip=False)
CONDITIONS = [
    ("clean", OFF, None, None),
    ("room_small_rt60_0.3s", {**OFF, "room": True, "rt60": 0.3, "drr_db": 8.0}, None, None),
    ("room_medium_rt60_0.6s", {**OFF, "room": True, "rt60": 0.6, "drr_db": 3.0}, None, None),
    ("room_large_rt60_1.0s", {**OFF, "room": True, "rt60": 1.0, "drr_db": -2.0}, None, None),
    ("telephone_band_mulaw", {**OFF, "mic": True, "mic_kind": "telephone"}, None, None),
    ("laptop_microphone", {**OFF, "mic": True, "mic_kind": "laptop"}, None, None),
    ("noise_snr_0_10db", {**OFF, "noise": True, "snr_db": (0.0, 10.0)}, None, None),
    ("noise_snr_10_20db", {**OFF, "noise": True, "snr_db": (10.0, 20.0)}, None, None),
    ("noise_snr_20_30db", {**OFF, "noise": True, "snr_db": (20.0, 30.0)}, None, None),
    ("clipping", {**OFF, "clip": True}, None, None),
    ("speed_0.9_1.1", {**OFF, "speed": True}, None, None),
    ("opus_16kbps", OFF, "opus", 16),
    ("mp3_32kbps", OFF, "mp3", 32),
    ("all_random_chain_and_codec", {}, "random", None),
]
EVAL_NOISE_KINDS = ["white", "pink", "brown", "hum", "mix", "fan", "clicks"]  # no babble: it is made from training voices


def make_extra_eval_items(args, eval_dir):
    """Held-out groups besides the unseen espeak-ng voices (own seed, so that set stays what it was):
    * flite (the synthesiser never used for training), every voice x word x --flite-per-word
      renditions, the same mild conditions as the espeak-ng set, all templates + greedy;
    * capture-condition sets: held-out clean clips (unseen espeak-ng voices and flite, alternating)
      through ONE condition each (CONDITIONS), default template only;
    * noise-only / silent recordings through the capture chain and a codec: must transcribe as "".
    """
    rng = np.random.default_rng(EVAL_SEED + 1)
    items = []

    def save(a, name, **kw):
        a.astype(np.float32).tofile(os.path.join(eval_dir, name))
        items.append({"file": name, "seconds": round(len(a) / L.SAMPLE_RATE, 3), "extra": True, **kw})

    fl_jobs = []
    for v in L.FLITE_VOICES:
        for w in L.WORDS:
            for _ in range(args.flite_per_word):
                form = L.SPOKEN_FORMS[int(rng.integers(len(L.SPOKEN_FORMS)))]
                fl_jobs.append((form.format(w), v, round(float(rng.uniform(0.8, 1.3)), 3),
                                round(float(rng.uniform(80, 180)), 1)))
    with Pool(2) as pool:
        fl_clips = pool.map(L.flite_job, fl_jobs, chunksize=8)
    fl_words = [L.WORDS[k // args.flite_per_word % len(L.WORDS)] for k in range(len(fl_jobs))]
    for k, (job, c, w) in enumerate(zip(fl_jobs, fl_clips, fl_words)):
        a = L.augment_clip(rng, c, min_snr=args.eval_min_snr)
        save(a, f"audio/flite_{k:05d}.f32", word=w, voice="flite:" + job[1], group="flite_heldout_synthesiser",
             spoken=job[0])

    # clean held-out sources for the condition sets
    n = args.cond_per_set
    es_jobs = []
    for i in range(n):
        v = L.HELDOUT_VARIANTS[int(rng.integers(len(L.HELDOUT_VARIANTS)))]
        b = L.BASE_VOICES[int(rng.integers(len(L.BASE_VOICES)))]
        es_jobs.append((L.WORDS[i % len(L.WORDS)], b, v) + prosody(rng))
    with Pool(2) as pool:
        es_clips = pool.map(L.synth_job, es_jobs, chunksize=8)
    for name, cond, codec, kbps in CONDITIONS:
        recs = []
        for i in range(n):
            if i % 2 == 0:
                src, word, voice = es_clips[i], es_jobs[i][0], L.voice_name(es_jobs[i][1], es_jobs[i][2])
            else:
                k = int(rng.integers(len(fl_clips)))
                src, word, voice = fl_clips[k], fl_words[k], "flite:" + fl_jobs[k][1]
            eval_noise = {} if cond == {} else {"noise_kind": EVAL_NOISE_KINDS[int(rng.integers(len(EVAL_NOISE_KINDS)))]}
            recs.append((L.augment_capture(rng, src, {**cond, **eval_noise}), word, voice))
        audio = [r[0] for r in recs]
        if codec == "random":
            audio = [L.codec_roundtrip(rng, a) for a in audio]
        elif codec:
            audio, _ = L.codec_roundtrip_many(rng, audio, codec, kbps)
        for i, (a, (_, word, voice)) in enumerate(zip(audio, recs)):
            save(a, f"audio/cond_{name}_{i:03d}.f32", word=word, voice=voice, group="condition:" + name,
                 default_template_only=True, skip_generate=True)

    noise = [L.augment_capture(rng, None, noise_only=True) for _ in range(args.eval_noise)]
    for i, a in enumerate(noise):
        save(a, f"audio/noise_capture_{i:03d}.f32", word="", voice=None, group="noise_capture_chain")
    coded, _ = L.codec_roundtrip_many(rng, noise[:max(1, args.eval_noise // 2)], "opus", 24)
    for i, a in enumerate(coded):
        save(a, f"audio/noise_opus_{i:03d}.f32", word="", voice=None, group="noise_opus")
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


def group_metrics(node_items):
    """Per held-out group (items.json `group`): n, zero-shot top-1 per template, greedy exact
    match, per-voice accuracy (default template); noise groups: share transcribed as ""."""
    norm = lambda t: "".join(ch for ch in (t or "").lower() if ch.isalnum())  # noqa: E731
    out = {}
    for it in node_items:
        g = it.get("group")
        if not g:
            continue
        d = out.setdefault(g, {"n": 0, "_ok": {}, "_greedy": [], "_voice": {}, "_empty": []})
        d["n"] += 1
        if not it["word"]:
            d["_empty"].append(norm(it.get("text")) == "")
            continue
        for tpl, p in (it.get("probs") or {}).items():
            d["_ok"].setdefault(tpl, []).append(L.WORDS[int(np.argmax(p))] == it["word"])
        if "text" in it:
            d["_greedy"].append(norm(it["text"]) == norm(it["word"]))
        ok0 = L.WORDS[int(np.argmax(it["probs"][TEMPLATES[0]]))] == it["word"]
        d["_voice"].setdefault(it["voice"], []).append(ok0)
    for g, d in out.items():
        if d["_ok"]:
            d["zero_shot_accuracy"] = {t: float(np.mean(v)) for t, v in d["_ok"].items()}
        if d["_greedy"]:
            d["greedy_exact_match"] = float(np.mean(d["_greedy"]))
        if d["_voice"]:
            d["zero_shot_accuracy_by_voice_default_template"] = {v: float(np.mean(x)) for v, x in sorted(d["_voice"].items())}
        if d["_empty"]:
            d["empty_transcript"] = float(np.mean(d["_empty"]))
        for k in ["_ok", "_greedy", "_voice", "_empty"]:
            del d[k]
    conds = [d["zero_shot_accuracy"][TEMPLATES[0]] for g, d in out.items() if g.startswith("condition:")]
    if conds:
        out["conditions_summary"] = {"mean_default_template": float(np.mean(conds)), "min_default_template": float(np.min(conds))}
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="~2 minute smoke-test run")
    ap.add_argument("--steps", type=int, default=1000, help="phase-1 steps on cropped features")
    ap.add_argument("--full-steps", type=int, default=60, help="phase-2 steps on the full 3000 frames")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--full-batch", type=int, default=8)
    ap.add_argument("--crop", type=int, default=560, help="phase-1 frames (5.6 s)")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--aux-weight", type=float, default=1.0,
                    help="weight of the auxiliary encoder word/noise classifier (training only)")
    ap.add_argument("--aux-decay", type=float, default=0.7,
                    help="the auxiliary weight decays linearly to 0 at this fraction of all steps")
    ap.add_argument("--full-lr", type=float, default=5e-4)
    ap.add_argument("--train-per-voice", type=int, default=1, help="prosodies per training voice and word")
    ap.add_argument("--festival-per-word", type=int, default=60, help="festival renditions per voice and word")
    ap.add_argument("--festival-share", type=float, default=0.45, help="share of word samples from festival")
    ap.add_argument("--p-noise", type=float, default=0.08, help="share of noise-only / silent samples (text \"\")")
    ap.add_argument("--sample-seed", type=int, default=TRAIN_SEED,
                    help="seed of the sample stream; a continued run (--init-from) should draw new samples")
    ap.add_argument("--codec-pool", type=int, default=2560, help="recordings pre-passed through a codec")
    ap.add_argument("--codec-share", type=float, default=0.25, help="share of samples drawn from the codec pool")
    ap.add_argument("--enc-layers", type=int, default=DIMS["enc_layers"])
    ap.add_argument("--factor-dim", type=int, default=DIMS["factor_dim"])
    ap.add_argument("--init-from", default="",
                    help="continue from a saved checkpoint (--save-torch of an earlier run), or from an "
                         "exported model folder (its fp32 ONNX files, read back by state_from_onnx; its "
                         "training history from --metrics); a smaller --factor-dim is reached by "
                         "truncating the tied token table's SVD")
    ap.add_argument("--warmup-steps", type=int, default=0, help="linear warm-up steps (0: steps / 20)")
    ap.add_argument("--eval-variants", type=int, default=len(L.HELDOUT_VARIANTS))
    ap.add_argument("--eval-per-word", type=int, default=2)
    ap.add_argument("--eval-noise", type=int, default=30)
    ap.add_argument("--flite-per-word", type=int, default=4, help="held-out flite renditions per voice and word")
    ap.add_argument("--cond-per-set", type=int, default=60, help="clips per held-out capture-condition set")
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
        args.festival_per_word, args.codec_pool = 4, 128
        args.flite_per_word, args.cond_per_set = 1, 6
    torch.set_num_threads(args.threads)
    DIMS.update(enc_layers=args.enc_layers, factor_dim=args.factor_dim)
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
        total_steps = checkpoint_steps(ck)
        prior_steps = total_steps - ck["args"]["steps"] - ck["args"]["full_steps"]
        run_lr = ck["args"]["lr"]
        log(f"loaded {args.save_torch} (trained in {train_time:.0f}s)")
    else:
        prior_steps, run_lr = 0, args.lr
        t0 = time.time()
        clips, jobs = synth_set(voices, args.train_per_voice, TRAIN_SEED)
        log(f"espeak-ng: {len(clips)} training utterances from {len(voices)} voices ({time.time() - t0:.0f}s); "
            f"mean {np.mean([len(c) for c in clips]) / L.SAMPLE_RATE:.2f}s")
        t0 = time.time()
        f_clips, f_jobs = synth_festival_set(args.festival_per_word, TRAIN_SEED + 1)
        log(f"festival: {len(f_clips)} utterances from {len(L.FESTIVAL_VOICES)} voices ({time.time() - t0:.0f}s)")
        t0 = time.time()
        babble = synth_babble(voices, 60 if args.quick else 240, TRAIN_SEED + 2)
        n_clips = len(clips) + len(f_clips)
        sampler = Sampler([(clips, jobs, 1.0 - args.festival_share), (f_clips, f_jobs, args.festival_share)],
                          tok, args.sample_seed, p_noise=args.p_noise, babble=babble)
        sampler.pool = codec_pool(sampler, args.codec_pool, TRAIN_SEED + 3)
        sampler.p_pool = args.codec_share
        log(f"babble + codec pool ({len(sampler.pool)} recordings through Opus / MP3): {time.time() - t0:.0f}s")
        init = load_init(args.init_from, args.metrics) if args.init_from else None
        model, train_time = train(args, sampler, init)
        if init is not None:  # the total training behind the saved model
            prior_steps = checkpoint_steps(init)
            train_time += init.get("train_time", 0.0)
        total_steps = prior_steps + args.steps + args.full_steps
        os.makedirs(os.path.dirname(os.path.abspath(args.save_torch)), exist_ok=True)
        torch.save({"state": model.state_dict(), "dims": DIMS, "train_time": train_time,
                    "total_steps": total_steps,
                    "train_utterances": n_clips, "args": vars(args)}, args.save_torch)

    model.decoder.balance_token_factor()  # a no-op for the function; see its docstring (q8)
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
    groups = group_metrics(node["items"])
    words = [it for it in node["items"] if it["word"] and not it.get("group")]
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
        "held_out_synthesiser": "flite (all of its English voices: " + ", ".join(L.FLITE_VOICES) + "); never used "
                                "for training. Speakers awb and rms exist in no training synthesiser; flite's kal, "
                                "kal16 and slt were built from the same speakers' recordings as festival's "
                                "kal_diphone and cmu_us_slt_arctic_hts (different engines).",
        "train_synthesisers": {"espeak-ng": f"{len(voices)} voices", "festival": L.FESTIVAL_VOICES},
        "groups": groups,
        "dims": DIMS,
        "train_steps": args.steps, "full_steps": args.full_steps, "batch": args.batch,
        "warm_start": {"from_steps": prior_steps, "lr": run_lr} if prior_steps else None,
        "total_steps": total_steps,
        "sample_stream": {"seed": args.sample_seed, "p_noise": args.p_noise},
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
    for g, d in groups.items():
        if "zero_shot_accuracy" in d:
            extra_g = f" greedy {100 * d['greedy_exact_match']:.2f}%" if "greedy_exact_match" in d else ""
            log(f"  {g:44s} n={d['n']:4d} zero-shot {100 * d['zero_shot_accuracy'][TEMPLATES[0]]:.2f}%{extra_g}")
        elif "empty_transcript" in d:
            log(f"  {g:44s} n={d['n']:4d} transcribed as empty {100 * d['empty_transcript']:.1f}%")
        else:
            log(f"  {g}: {d}")
    log(f"wrote {args.metrics}; total time {time.time() - t_all:.0f}s")


if __name__ == "__main__":
    main()
