#!/usr/bin/env python3
"""Write CLAP models with the interface of Xenova/clap-htsat-unfused and random weights.

We cannot download the real model, so these stand-ins reproduce its *interface* for
transformers.js (file names, ONNX input / output names and shapes, config.json,
preprocessor_config.json) with random weights (fixed seed):

  e2e/fixtures/models/clap-tiny/      (committed; < 2 MB)  --which tiny
      text tower : hashed token embedding (id mod 1021, 16-d) -> masked mean pool ->
                   pooler (dense + tanh, 32-d) -> CLAP projection (linear, ReLU, linear) -> 64-d
      audio tower: fixed affine on the log-mel dB values -> 3 strided convs (8/16/16 ch) ->
                   mean over time, layer norm over (channel x 8 frequency bands) -> CLAP projection -> 64-d
  bench/.models/clap-random/          (git-ignored; ~1.2 GB)  --which bench
      audio tower: HTSAT-like: BatchNorm over the 64 mel bins, bicubic resize 1001 -> 1024 frames,
                   "mel2img" fold to 256x256, Swin-T (patch 4, window 8, dims 96/192/384/768,
                   depths 2/2/6/2, heads 4/8/16/32, shifted windows, relative position bias),
                   LayerNorm + mean pool -> projection 768 -> 512 -> 512.  ~28 M params.
      text tower : RoBERTa-base-like: 12 post-LN layers, width 768, 12 heads, FFN 3072, vocab
                   49408 (the CLIP BPE tokenizer we reuse), 514 positions, pooler on the first
                   token (dense + tanh) -> projection 768 -> 512 -> 512.  ~124 M params.

Files in each model folder (as in Xenova/clap-htsat-unfused, fp32 only):
  config.json                 model_type "clap", ClapModel, text_config / audio_config,
                              "transformers.js_config": {"dtype": "fp32"}
  preprocessor_config.json    ClapFeatureExtractor, identical in meaning to clap-htsat-unfused's
                              (48 kHz, 64 mels, fft 1024, hop 480, 10 s, rand_trunc / repeatpad)
  tokenizer.json              copy of public/models/builtin/clip-shapes/tokenizer.json (CLIP BPE; we
                              have no RoBERTa vocabulary), tokenizer_config.json (RobertaTokenizer
                              class, CLIP special tokens, pad = <|endoftext|>, model_max_length 512)
  onnx/text_model.onnx        input_ids, attention_mask int64 [batch_size, sequence_length]
                              -> text_embeds float32 [batch_size, D]   (NOT L2-normalised, like
                              HF ClapTextModelWithProjection)
  onnx/audio_model.onnx       input_features float32 [batch_size, 1, 1001, 64]
                              -> audio_embeds float32 [batch_size, D]  (NOT L2-normalised)
  onnx/model.onnx             input_ids, attention_mask [text_batch_size, sequence_length],
                              input_features [audio_batch_size, 1, 1001, 64]
                              -> logits_per_audio [audio_batch_size, text_batch_size],
                                 logits_per_text [text_batch_size, audio_batch_size],
                                 text_embeds [text_batch_size, D], audio_embeds [audio_batch_size, D]
                              (embeds L2-normalised, logits = exp(logit_scale) * cosine with
                              logit_scale_a = logit_scale_t = log(1 / 0.07), as HF ClapModel at init)

Usage (repo root):
  OPENBLAS_NUM_THREADS=2 /usr/bin/python3 tools/make_clap_models.py --which tiny    # fixture, seconds
  OPENBLAS_NUM_THREADS=2 /usr/bin/python3 tools/make_clap_models.py --which bench   # a few minutes
  node tools/check_clap_models.mjs e2e/fixtures/models clap-tiny                    # verification
"""
import argparse
import json
import math
import os
import shutil
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("OMP_NUM_THREADS", "2")

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILTIN = os.path.join(REPO, "public/models/builtin/clip-shapes")
SOT, EOT = 49406, 49407
VOCAB_SIZE = 49408
N_FRAMES, N_MELS = 1001, 64
LOGIT_SCALE_INIT = 1 / 0.07  # HF ClapConfig.logit_scale_init_value = 14.285714285714285
OPSET = 14


def log(*a):
    print(*a, flush=True)


# ----------------------------------------------------------------------------------
# Shared pieces
# ----------------------------------------------------------------------------------
class ClapProjection(nn.Module):
    """HF ClapProjectionLayer: linear1 -> ReLU -> linear2."""

    def __init__(self, din, dout):
        super().__init__()
        self.linear1 = nn.Linear(din, dout)
        self.linear2 = nn.Linear(dout, dout)

    def forward(self, x):
        return self.linear2(F.relu(self.linear1(x)))


class CombinedCLAP(nn.Module):
    """HF ClapModel forward: outputs logits_per_audio, logits_per_text, text_embeds, audio_embeds
    (embeds L2-normalised; logits scaled by exp(logit_scale_a) / exp(logit_scale_t))."""

    def __init__(self, text, audio, logit_scale_init=LOGIT_SCALE_INIT):
        super().__init__()
        self.text, self.audio = text, audio
        self.logit_scale_a = nn.Parameter(torch.tensor(math.log(logit_scale_init)))
        self.logit_scale_t = nn.Parameter(torch.tensor(math.log(logit_scale_init)))

    def forward(self, input_ids, attention_mask, input_features):
        a = self.audio(input_features)
        t = self.text(input_ids, attention_mask)
        a = a / a.norm(p=2, dim=-1, keepdim=True)
        t = t / t.norm(p=2, dim=-1, keepdim=True)
        logits_per_text = torch.matmul(t, a.t()) * self.logit_scale_t.exp()
        logits_per_audio = torch.matmul(a, t.t()) * self.logit_scale_a.exp()
        return logits_per_audio, logits_per_text, t, a


def key_padding_bias(attention_mask, dtype):
    return (1.0 - attention_mask.to(dtype))[:, None, None, :] * -1e9


# ----------------------------------------------------------------------------------
# Tiny towers (fixture)
# ----------------------------------------------------------------------------------
class TinyText(nn.Module):
    def __init__(self, buckets=1021, dim=16, hidden=32, proj=64):
        super().__init__()
        self.buckets = buckets
        self.embed = nn.Embedding(buckets, dim)
        nn.init.normal_(self.embed.weight, std=1.0)
        self.pooler = nn.Linear(dim, hidden)
        self.projection = ClapProjection(hidden, proj)

    def forward(self, input_ids, attention_mask):
        m = attention_mask.to(torch.float32).unsqueeze(-1)
        e = self.embed(torch.remainder(input_ids, self.buckets))
        pooled = (e * m).sum(1) / m.sum(1).clamp(min=1.0)
        return self.projection(torch.tanh(self.pooler(pooled)))


class TinyAudio(nn.Module):
    def __init__(self, proj=64):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 8, 5, stride=(4, 2), padding=2), nn.GELU(),
            nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.GELU(),
            nn.Conv2d(16, 16, 3, stride=2, padding=1), nn.GELU(),
        )
        self.projection = ClapProjection(16 * 8, proj)

    def forward(self, input_features):
        # log-mel dB values are in about [-100, +30]; a fixed affine brings them near [-2, 2]
        x = self.conv((input_features + 50.0) / 25.0)  # B, 16, 63, 8 (channels, time, frequency)
        x = x.mean(dim=2).flatten(1)  # average over time, keep the coarse spectrum: B, 128
        # per-clip standardisation, so that random weights still give clearly different embeddings
        x = F.layer_norm(x, (16 * 8,), eps=1e-3)
        return self.projection(x)


# ----------------------------------------------------------------------------------
# Bench towers: HTSAT-like audio encoder, RoBERTa-base-like text encoder
# ----------------------------------------------------------------------------------
class WindowAttention(nn.Module):
    def __init__(self, dim, heads, ws):
        super().__init__()
        self.heads, self.ws = heads, ws
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.relative_position_bias_table = nn.Parameter(torch.randn((2 * ws - 1) ** 2, heads) * 0.02)
        coords = torch.stack(torch.meshgrid(torch.arange(ws), torch.arange(ws), indexing="ij")).flatten(1)
        rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + (ws - 1)
        self.register_buffer("relative_position_index", rel[..., 0] * (2 * ws - 1) + rel[..., 1], persistent=False)

    def forward(self, x, mask=None):
        B_, N, C = x.shape
        h = self.heads
        qkv = self.qkv(x).reshape(B_, N, 3, h, C // h).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q * self.scale) @ k.transpose(-2, -1)
        bias = self.relative_position_bias_table[self.relative_position_index.reshape(-1)]
        attn = attn + bias.reshape(N, N, h).permute(2, 0, 1).unsqueeze(0)
        if mask is not None:
            nW = mask.shape[0]
            attn = attn.reshape(-1, nW, h, N, N) + mask[None, :, None]
            attn = attn.reshape(-1, h, N, N)
        attn = attn.softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(B_, N, C))


class SwinBlock(nn.Module):
    def __init__(self, dim, res, heads, ws=8, shift=0, mlp_ratio=4):
        super().__init__()
        if res <= ws:
            ws, shift = res, 0
        self.dim, self.res, self.ws, self.shift = dim, res, ws, shift
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, heads, ws)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, dim * mlp_ratio), nn.GELU(), nn.Linear(dim * mlp_ratio, dim))
        if shift:
            img = torch.zeros(1, res, res, 1)
            cnt = 0
            for hs in (slice(0, -ws), slice(-ws, -shift), slice(-shift, None)):
                for wsl in (slice(0, -ws), slice(-ws, -shift), slice(-shift, None)):
                    img[:, hs, wsl, :] = cnt
                    cnt += 1
            mw = self.partition(img).squeeze(-1)  # nW, ws*ws
            m = mw[:, None, :] - mw[:, :, None]
            self.register_buffer("attn_mask", m.masked_fill(m != 0, -100.0), persistent=False)
        else:
            self.attn_mask = None

    def partition(self, x):
        B, H, W, C = x.shape
        ws = self.ws
        x = x.reshape(B, H // ws, ws, W // ws, ws, C).permute(0, 1, 3, 2, 4, 5)
        return x.reshape(-1, ws * ws, C)

    def forward(self, x):
        B, L, C = x.shape
        H = W = self.res
        ws, s = self.ws, self.shift
        shortcut = x
        x = self.norm1(x).reshape(B, H, W, C)
        if s:
            x = torch.roll(x, shifts=(-s, -s), dims=(1, 2))
        y = self.attn(self.partition(x), self.attn_mask)
        y = y.reshape(B, H // ws, W // ws, ws, ws, C).permute(0, 1, 3, 2, 4, 5).reshape(B, H, W, C)
        if s:
            y = torch.roll(y, shifts=(s, s), dims=(1, 2))
        x = shortcut + y.reshape(B, H * W, C)
        return x + self.mlp(self.norm2(x))


class PatchMerging(nn.Module):
    def __init__(self, dim, res):
        super().__init__()
        self.res = res
        self.norm = nn.LayerNorm(4 * dim)
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)

    def forward(self, x):
        B, L, C = x.shape
        x = x.reshape(B, self.res, self.res, C)
        x = torch.cat([x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]], dim=-1)
        return self.reduction(self.norm(x.reshape(B, -1, 4 * C)))


class HTSATLikeAudio(nn.Module):
    def __init__(self, spec_size=256, freq_ratio=4, patch=4, embed_dim=96, depths=(2, 2, 6, 2),
                 heads=(4, 8, 16, 32), ws=8, proj=512):
        super().__init__()
        self.spec_size, self.freq_ratio = spec_size, freq_ratio
        self.bn0 = nn.BatchNorm2d(N_MELS)
        with torch.no_grad():  # eval-mode stats that bring dB values near N(0, 1)
            self.bn0.running_mean.fill_(-50.0)
            self.bn0.running_var.fill_(400.0)
        self.patch_embed = nn.Conv2d(1, embed_dim, patch, patch)
        self.patch_norm = nn.LayerNorm(embed_dim)
        res = spec_size // patch
        layers, dim = [], embed_dim
        for i, (d, h) in enumerate(zip(depths, heads)):
            for j in range(d):
                layers.append(SwinBlock(dim, res, h, ws, shift=0 if j % 2 == 0 else ws // 2))
            if i < len(depths) - 1:
                layers.append(PatchMerging(dim, res))
                dim, res = dim * 2, res // 2
        self.layers = nn.ModuleList(layers)
        self.norm = nn.LayerNorm(dim)
        self.projection = ClapProjection(dim, proj)
        self.apply(_init_weights)

    def forward(self, input_features):
        x = self.bn0(input_features.transpose(1, 3)).transpose(1, 3)  # B, 1, T, F
        T = self.spec_size * self.freq_ratio
        x = F.interpolate(x, size=(T, N_MELS), mode="bicubic", align_corners=True)
        B = x.shape[0]
        x = x.reshape(B, self.freq_ratio, T // self.freq_ratio, N_MELS).permute(0, 1, 3, 2)
        x = x.reshape(B, 1, N_MELS * self.freq_ratio, T // self.freq_ratio)  # B, 1, 256, 256
        x = self.patch_norm(self.patch_embed(x).flatten(2).transpose(1, 2))
        for layer in self.layers:
            x = layer(x)
        return self.projection(self.norm(x).mean(dim=1))


class RobertaLayer(nn.Module):
    def __init__(self, width, heads, ffn):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)
        self.ln_attn = nn.LayerNorm(width, eps=1e-5)
        self.ffn = nn.Sequential(nn.Linear(width, ffn), nn.GELU(), nn.Linear(ffn, width))
        self.ln_ffn = nn.LayerNorm(width, eps=1e-5)

    def forward(self, x, bias):
        B, L, W = x.shape
        h = self.heads
        qkv = self.qkv(x).reshape(B, L, 3, h, W // h).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        att = ((q @ k.transpose(-2, -1)) * ((W // h) ** -0.5) + bias).softmax(dim=-1)
        x = self.ln_attn(x + self.out((att @ v).transpose(1, 2).reshape(B, L, W)))
        return self.ln_ffn(x + self.ffn(x))


class RobertaLikeText(nn.Module):
    def __init__(self, vocab=VOCAB_SIZE, width=768, layers=12, heads=12, ffn=3072, positions=514, proj=512):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, width)
        self.position_embeddings = nn.Embedding(positions, width)
        self.token_type_embeddings = nn.Embedding(1, width)
        self.ln_emb = nn.LayerNorm(width, eps=1e-5)
        self.layers = nn.ModuleList([RobertaLayer(width, heads, ffn) for _ in range(layers)])
        self.pooler = nn.Linear(width, width)
        self.projection = ClapProjection(width, proj)
        self.apply(_init_weights)

    def forward(self, input_ids, attention_mask):
        L = input_ids.shape[1]
        pos = torch.arange(L, device=input_ids.device) + 2  # RoBERTa: positions start after padding_idx 1
        x = self.word_embeddings(input_ids) + self.position_embeddings(pos)[None] + self.token_type_embeddings.weight[0]
        x = self.ln_emb(x)
        bias = key_padding_bias(attention_mask, x.dtype)
        for layer in self.layers:
            x = layer(x, bias)
        return self.projection(torch.tanh(self.pooler(x[:, 0])))


def _init_weights(m):
    if isinstance(m, (nn.Linear, nn.Embedding)):
        nn.init.normal_(m.weight, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)


def count_audio_macs(model):
    """Multiply-accumulates of one forward pass (Linear/Conv + attention matmuls), batch 1."""
    macs = [0]

    def lin(mod, inp, out):
        macs[0] += out.numel() * mod.in_features

    def conv(mod, inp, out):
        macs[0] += out.numel() * mod.in_channels // mod.groups * mod.kernel_size[0] * mod.kernel_size[1]

    def att(mod, inp, out):
        B_, N, C = inp[0].shape
        macs[0] += 2 * B_ * N * N * C  # q@k^T and att@v

    hooks = []
    for mod in model.modules():
        if isinstance(mod, nn.Linear):
            hooks.append(mod.register_forward_hook(lin))
        elif isinstance(mod, nn.Conv2d):
            hooks.append(mod.register_forward_hook(conv))
        elif isinstance(mod, WindowAttention):
            hooks.append(mod.register_forward_hook(att))
    with torch.no_grad():
        model(torch.randn(1, 1, N_FRAMES, N_MELS) * 20 - 50)
    for h in hooks:
        h.remove()
    return macs[0]


# ----------------------------------------------------------------------------------
# Export
# ----------------------------------------------------------------------------------
def example_inputs():
    ids = torch.tensor([[SOT, 589, 533, 320, 2115, 539, 1929, 269, EOT, EOT],
                        [SOT, 589, 533, 320, 2115, 539, 320, 1929, 269, EOT]])
    am = (torch.arange(ids.shape[1])[None] < torch.tensor([[9], [10]])).long()
    feats = torch.randn(3, 1, N_FRAMES, N_MELS) * 20 - 50
    return ids, am, feats


def export_all(text, audio, onnx_dir):
    os.makedirs(onnx_dir, exist_ok=True)
    text.eval(), audio.eval()
    ids, am, feats = example_inputs()
    t0 = time.time()
    torch.onnx.export(text, (ids, am), os.path.join(onnx_dir, "text_model.onnx"),
                      input_names=["input_ids", "attention_mask"], output_names=["text_embeds"],
                      dynamic_axes={"input_ids": {0: "batch_size", 1: "sequence_length"},
                                    "attention_mask": {0: "batch_size", 1: "sequence_length"},
                                    "text_embeds": {0: "batch_size"}},
                      opset_version=OPSET, do_constant_folding=True)
    log(f"  text_model.onnx  {time.time() - t0:.0f}s")
    t0 = time.time()
    torch.onnx.export(audio, (feats,), os.path.join(onnx_dir, "audio_model.onnx"),
                      input_names=["input_features"], output_names=["audio_embeds"],
                      dynamic_axes={"input_features": {0: "batch_size"}, "audio_embeds": {0: "batch_size"}},
                      opset_version=OPSET, do_constant_folding=True)
    log(f"  audio_model.onnx {time.time() - t0:.0f}s")
    t0 = time.time()
    combined = CombinedCLAP(text, audio).eval()
    torch.onnx.export(
        combined, (ids, am, feats), os.path.join(onnx_dir, "model.onnx"),
        input_names=["input_ids", "attention_mask", "input_features"],
        output_names=["logits_per_audio", "logits_per_text", "text_embeds", "audio_embeds"],
        dynamic_axes={"input_ids": {0: "text_batch_size", 1: "sequence_length"},
                      "attention_mask": {0: "text_batch_size", 1: "sequence_length"},
                      "input_features": {0: "audio_batch_size"},
                      "logits_per_audio": {0: "audio_batch_size", 1: "text_batch_size"},
                      "logits_per_text": {0: "text_batch_size", 1: "audio_batch_size"},
                      "text_embeds": {0: "text_batch_size"}, "audio_embeds": {0: "audio_batch_size"}},
        opset_version=OPSET, do_constant_folding=True)
    log(f"  model.onnx       {time.time() - t0:.0f}s")
    for fn in ("text_model.onnx", "audio_model.onnx", "model.onnx"):
        p = os.path.join(onnx_dir, fn)
        onnx.checker.check_model(p)
        m = onnx.load(p, load_external_data=False)
        io = lambda vs: ", ".join(f"{v.name}{[d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]}"
                                  for v in vs)
        log(f"  {fn}: ({io(m.graph.input)}) -> ({io(m.graph.output)})")
    return combined


def write_reference(text, audio, path):
    """Torch outputs on fixed inputs, for tools/check_clap_models.mjs to compare against ONNX Runtime."""
    g = torch.Generator().manual_seed(7)
    feats = torch.randn(2, 1, N_FRAMES, N_MELS, generator=g) * 20 - 50
    ids, am, _ = example_inputs()
    with torch.no_grad():
        te = text(ids, am)
        ae = audio(feats)
    ref = {"input_ids": ids.tolist(), "attention_mask": am.tolist(),
           "input_features": [round(float(v), 4) for v in feats.flatten()],
           "text_embeds": te.tolist(), "audio_embeds": ae.tolist()}
    # the reference features are rounded to 4 decimals: recompute the audio embeds from those
    with torch.no_grad():
        f2 = torch.tensor(ref["input_features"], dtype=torch.float32).reshape(feats.shape)
        ref["audio_embeds"] = audio(f2).tolist()
    with open(path, "w") as f:
        json.dump(ref, f)


# ----------------------------------------------------------------------------------
# Configs
# ----------------------------------------------------------------------------------
def preprocessor_config():
    """Same keys / values as clap-htsat-unfused's preprocessor_config.json."""
    return {
        "chunk_length_s": 10,
        "feature_extractor_type": "ClapFeatureExtractor",
        "feature_size": N_MELS,
        "fft_window_size": 1024,
        "frequency_max": 14000,
        "frequency_min": 50,
        "hop_length": 480,
        "max_length_s": 10,
        "n_fft": 1024,
        "nb_frequency_bins": 513,
        "nb_max_frames": 1000,
        "nb_max_samples": 480000,
        "padding": "repeatpad",
        "padding_side": "right",
        "padding_value": 0.0,
        "processor_class": "ClapProcessor",
        "return_attention_mask": False,
        "sampling_rate": 48000,
        "top_db": None,
        "truncation": "rand_trunc",
    }


def tokenizer_config():
    added = lambda c: {"content": c, "lstrip": False, "normalized": True, "rstrip": False,
                       "single_word": False, "special": True}
    return {
        "add_prefix_space": False,
        "added_tokens_decoder": {str(SOT): added("<|startoftext|>"), str(EOT): added("<|endoftext|>")},
        "bos_token": "<|startoftext|>",
        "cls_token": "<|startoftext|>",
        "clean_up_tokenization_spaces": True,
        "eos_token": "<|endoftext|>",
        "errors": "replace",
        "model_max_length": 512,
        "pad_token": "<|endoftext|>",
        "padding_side": "right",
        "sep_token": "<|endoftext|>",
        "tokenizer_class": "RobertaTokenizer",
        "unk_token": "<|endoftext|>",
        "_note": "CLIP BPE vocabulary (tools/make_clap_models.py; no RoBERTa vocabulary available): "
                 "ids are <|startoftext|> text <|endoftext|>, padded with <|endoftext|> (49407)",
    }


def model_config(kind, proj, text_cfg, audio_cfg, note):
    return {
        "_name_or_path": f"random/{kind}",
        "architectures": ["ClapModel"],
        "model_type": "clap",
        "projection_dim": proj,
        "projection_hidden_act": "relu",
        "logit_scale_init_value": LOGIT_SCALE_INIT,
        "initializer_factor": 1.0,
        "torch_dtype": "float32",
        "text_config": {"model_type": "clap_text_model", "vocab_size": VOCAB_SIZE, "bos_token_id": SOT,
                        "eos_token_id": EOT, "pad_token_id": EOT, "projection_dim": proj, **text_cfg},
        "audio_config": {"model_type": "clap_audio_model", "num_mel_bins": N_MELS, "enable_fusion": False,
                         "projection_dim": proj, **audio_cfg},
        "transformers.js_config": {"dtype": "fp32"},
        "clap_random": {"random_weights": True, "seed": 0, "logit_scale": LOGIT_SCALE_INIT,
                        "embeds_normalised_in": "onnx/model.onnx only (towers output raw projections)",
                        "made_by": "tools/make_clap_models.py", "note": note},
    }


def write_folder(out_dir, text, audio, cfg):
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(out_dir)
    export_all(text, audio, os.path.join(out_dir, "onnx"))
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    with open(os.path.join(out_dir, "preprocessor_config.json"), "w") as f:
        json.dump(preprocessor_config(), f, indent=2)
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w") as f:
        json.dump(tokenizer_config(), f, indent=2)
    shutil.copy(os.path.join(BUILTIN, "tokenizer.json"), os.path.join(out_dir, "tokenizer.json"))
    total = 0
    for root, _, files in os.walk(out_dir):
        for fn in sorted(files):
            p = os.path.join(root, fn)
            total += os.path.getsize(p)
            log(f"  {os.path.relpath(p, out_dir):28s} {os.path.getsize(p):>12,d} bytes")
    log(f"  total {total:,d} bytes ({total / 1e6:.2f} MB)")


def make_tiny(out_dir, ref_path):
    torch.manual_seed(0)
    text, audio = TinyText().eval(), TinyAudio().eval()
    log(f"clap-tiny: text {sum(p.numel() for p in text.parameters()):,} params, "
        f"audio {sum(p.numel() for p in audio.parameters()):,} params")
    cfg = model_config(
        "clap-tiny", 64,
        {"architecture": "hashed embedding (id mod 1021, 16-d), masked mean pool, dense+tanh pooler (32-d)",
         "hidden_size": 32, "num_hidden_layers": 0, "max_position_embeddings": 512},
        {"architecture": "affine (x+50)/25, conv5x5/s(4,2) 8ch, conv3x3/s2 16ch, conv3x3/s2 16ch (GELU), "
                         "mean over time, layer norm over the 16x8 (channel x frequency) features", "hidden_size": 128},
        "tiny random-weight CLAP stand-in for end-to-end tests; scores are meaningless")
    write_folder(out_dir, text, audio, cfg)
    write_reference(text, audio, ref_path)


def make_bench(out_dir, ref_path):
    torch.manual_seed(0)
    torch.set_num_threads(2)
    audio = HTSATLikeAudio().eval()
    text = RobertaLikeText().eval()
    na, nt = sum(p.numel() for p in audio.parameters()), sum(p.numel() for p in text.parameters())
    macs = count_audio_macs(audio)
    log(f"clap-random: audio {na:,} params, {macs / 1e9:.2f} GMACs per 10 s clip; text {nt:,} params")
    cfg = model_config(
        "clap-random", 512,
        {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072,
         "max_position_embeddings": 514, "hidden_act": "gelu", "type_vocab_size": 1,
         "architecture": "RoBERTa-base-like, post-LN, pooler on first token; CLIP BPE vocabulary"},
        {"spec_size": 256, "patch_size": 4, "patch_stride": [4, 4], "patch_embeds_hidden_size": 96,
         "hidden_size": 768, "depths": [2, 2, 6, 2], "num_attention_heads": [4, 8, 16, 32], "window_size": 8,
         "mlp_ratio": 4.0, "architecture": "HTSAT-like Swin-T (no token-semantic CNN head): BN over mels, "
                                           "bicubic 1001->1024, mel2img 256x256, mean pool",
         "params": na, "gmacs_per_clip": round(macs / 1e9, 2)},
        f"random-weight stand-in for benchmarks; audio tower {na / 1e6:.1f} M params / {macs / 1e9:.1f} GMACs "
        f"per clip, text tower {nt / 1e6:.1f} M params")
    write_folder(out_dir, text, audio, cfg)
    write_reference(text, audio, ref_path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--which", choices=["tiny", "bench", "both"], default="tiny")
    ap.add_argument("--tiny-out", default=os.path.join(REPO, "e2e/fixtures/models/clap-tiny"))
    ap.add_argument("--bench-out", default=os.path.join(REPO, "bench/.models/clap-random"))
    ap.add_argument("--ref-dir", default="/tmp", help="where the torch reference JSONs go")
    args = ap.parse_args()
    if args.which in ("tiny", "both"):
        make_tiny(args.tiny_out, os.path.join(args.ref_dir, "clap-tiny.ref.json"))
    if args.which in ("bench", "both"):
        make_bench(args.bench_out, os.path.join(args.ref_dir, "clap-random.ref.json"))


if __name__ == "__main__":
    main()
