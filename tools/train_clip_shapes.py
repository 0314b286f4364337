#!/usr/bin/env python3
"""Train the built-in zero-shot model `builtin/clip-shapes` and export it in the Hugging Face
Hub layout (config.json, preprocessor_config.json, tokenizer.json, tokenizer_config.json,
onnx/text_model.onnx, onnx/vision_model.onnx) to public/models/builtin/clip-shapes/.

Usage (from the repo root):
    OPENBLAS_NUM_THREADS=2 /usr/bin/python3 tools/train_clip_shapes.py          # full run
    OPENBLAS_NUM_THREADS=2 /usr/bin/python3 tools/train_clip_shapes.py --quick  # smoke test

Then it evaluates the EXPORTED ONNX files on freshly generated held-out images (different
seed) through transformers.js + onnxruntime-node (tools/eval_clip_shapes.mjs) and writes
tools/clip_shapes_metrics.json.

Needs Debian's python3-torch, python3-numpy, python3-pil, python3-onnx, python3-regex and
(for speed; torch falls back to the reference BLAS otherwise) libopenblas0-pthread.
"""
import argparse
import json
import os
import subprocess
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("OMP_NUM_THREADS", "2")

import numpy as np
import torch
import torch.nn.functional as F
from multiprocessing import Pool
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clip_shapes_lib as L  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMAGE_SIZE = 64
TEXT = dict(width=128, layers=2, heads=4, embed_dim=128, factor_dim=32)
VISION = dict(image_size=IMAGE_SIZE, patch_size=8, width=96, layers=2, heads=4, embed_dim=128, stem="conv", bg_diff=True)
LOGIT_SCALE = 100.0
TRAIN_SEED = 1234
EVAL_SEED = 987654321  # never used for training data


def log(*a):
    print(*a, flush=True)


def generate(n, seed, chunk=500, procs=2, shift=None):
    jobs = [(seed * 1000 + i, min(chunk, n - i * chunk), IMAGE_SIZE) + ((shift,) if shift else ())
            for i in range((n + chunk - 1) // chunk)]
    with Pool(procs) as pool:
        res = pool.map(L.gen_chunk, jobs)
    imgs = np.concatenate([r[0] for r in res])
    cols = np.concatenate([r[1] for r in res])
    shps = np.concatenate([r[2] for r in res])
    return imgs, cols, shps


def augment(x, g):
    """x uint8 [B,H,W,3] torch -> random flips / 90-degree rotations (dihedral group), per sample."""
    B = x.shape[0]
    k = torch.randint(0, 8, (B,), generator=g)
    out = x.clone()
    for t in range(8):
        sel = (k == t).nonzero().flatten()
        if len(sel) == 0:
            continue
        y = x[sel]
        if t & 4:
            y = y.flip(2)
        y = torch.rot90(y, t & 3, dims=(1, 2))
        out[sel] = y
    return out


def to_pixels(x_uint8):
    mean = torch.tensor(L.CLIP_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(L.CLIP_STD).view(1, 3, 1, 1)
    x = x_uint8.permute(0, 3, 1, 2).float() / 255.0
    return (x - mean) / std


def multi_positive_ce(logits, match):
    """Cross-entropy against a uniform distribution over all positives of each row."""
    target = match / match.sum(1, keepdim=True)
    return -(target * F.log_softmax(logits, dim=1)).sum(1).mean()


def train(args):
    torch.manual_seed(TRAIN_SEED)
    np.random.seed(TRAIN_SEED)
    g = torch.Generator().manual_seed(TRAIN_SEED)
    tok = L.SimpleTokenizer()
    caps, cap_ids = L.build_caption_table(tok)
    cap_tensor = torch.from_numpy(L.pad_batch(cap_ids))
    cc_list = [c[1] for c in caps]
    cs_list = [c[2] for c in caps]
    cap_c = torch.tensor(cc_list)
    cap_s = torch.tensor(cs_list)
    cap_kind = [c[3] for c in caps]
    log(f"captions: {len(caps)} (max {cap_tensor.shape[1]} tokens)")
    # index lists: for each image class, captions of each kind consistent with it
    by_kind = {}
    for ci in range(6):
        for si in range(5):
            for kind in ("cs", "c", "s"):
                ok = [j for j in range(len(caps)) if cap_kind[j] == kind
                      and (cc_list[j] in (-1, ci)) and (cs_list[j] in (-1, si))]
                by_kind[(ci, si, kind)] = ok
    # dense lookup table [30 classes, 3 kinds, max options] + counts, for vectorised sampling
    kinds = ["cs", "c", "s"]
    maxn = max(len(v) for v in by_kind.values())
    opt_tab = torch.zeros(30, 3, maxn, dtype=torch.long)
    opt_n = torch.zeros(30, 3, dtype=torch.long)
    for (ci, si, kind), ok in by_kind.items():
        opt_tab[ci * 5 + si, kinds.index(kind), :len(ok)] = torch.tensor(ok)
        opt_n[ci * 5 + si, kinds.index(kind)] = len(ok)
    # template tables for the class-prompt loss: [n_templates, n_classes] caption indices
    def table(kind, ncls):
        # captions are generated template-major, whole templates at a time -> [n_templates, ncls]
        idx = [j for j in range(len(caps)) if cap_kind[j] == kind]
        return torch.tensor(idx).view(-1, ncls)
    tab_cs, tab_c, tab_s = table("cs", 30), table("c", 6), table("s", 5)
    # sanity: class order within a template row
    for r in range(tab_cs.shape[0]):
        assert all(int(cap_c[tab_cs[r, k]]) == k // 5 and int(cap_s[tab_cs[r, k]]) == k % 5 for k in range(30))
    assert all(int(cap_c[tab_c[r, k]]) == k for r in range(tab_c.shape[0]) for k in range(6))
    assert all(int(cap_s[tab_s[r, k]]) == k for r in range(tab_s.shape[0]) for k in range(5))

    t0 = time.time()
    shift = (args.shift_rotation, args.shift_outline) if args.shift_data else None
    imgs, cols, shps = generate(args.train_images, TRAIN_SEED, procs=args.procs, shift=shift)
    log(f"generated {len(imgs)} training images in {time.time() - t0:.0f}s")
    imgs = torch.from_numpy(imgs)
    cols = torch.from_numpy(cols).long()
    shps = torch.from_numpy(shps).long()

    text = L.TextTower(**TEXT)
    vision = L.VisionTower(**VISION)
    # auxiliary linear heads (training only, not exported): colour (6) + shape (5) from the image
    # embedding. They break the colour-only saddle of the contrastive objective, where text
    # embeddings collapse to colour clusters and the image side gets no shape signal.
    aux = torch.nn.Linear(VISION["embed_dim"], 11)
    params = list(text.parameters()) + list(vision.parameters()) + list(aux.parameters())
    log(f"params: text {sum(p.numel() for p in text.parameters()):,} vision {sum(p.numel() for p in vision.parameters()):,}")
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.02, betas=(0.9, 0.98))
    warm = max(10, args.steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * 0.5 * (1 + np.cos(np.pi * min(1.0, s / args.steps))))
    B = args.batch
    kind_p = torch.tensor([0.5, 0.25, 0.25])
    t_train = time.time()
    text.train()
    vision.train()
    for step in range(args.steps):
        # logit scale: scale_start for the first scale_hold of the steps, then a geometric ramp
        # to 100 over scale_warmup of the steps, then fixed at 100 (the app's scoring scale)
        frac = min(1.0, max(0.0, step - args.scale_hold * args.steps) / max(1.0, args.scale_warmup * args.steps))
        scale = float(np.exp(np.log(args.scale_start) + frac * (np.log(LOGIT_SCALE) - np.log(args.scale_start))))
        idx = torch.randint(0, len(imgs), (B,), generator=g)
        x = to_pixels(augment(imgs[idx], g))
        ci, si = cols[idx], shps[idx]
        # one caption per image
        kk = torch.multinomial(kind_p, B, replacement=True, generator=g)
        cls = ci * 5 + si
        n_opt = opt_n[cls, kk]
        r = (torch.rand(B, generator=g) * n_opt).long().clamp(max=n_opt - 1)
        cap_sel = opt_tab[cls, kk, r]
        # class prompts: one random template per class
        p_cs = tab_cs[torch.randint(0, tab_cs.shape[0], (30,), generator=g), torch.arange(30)]
        p_c = tab_c[torch.randint(0, tab_c.shape[0], (6,), generator=g), torch.arange(6)]
        p_s = tab_s[torch.randint(0, tab_s.shape[0], (5,), generator=g), torch.arange(5)]
        all_caps = torch.cat([cap_sel, p_cs, p_c, p_s])
        T = F.normalize(text(cap_tensor[all_caps]), dim=-1)
        Vraw = vision(x)
        V = F.normalize(Vraw, dim=-1)
        if step < args.scale_hold * args.steps:
            # phase 1: the vision tower learns only from the auxiliary colour/shape heads (the
            # contrastive terms would otherwise keep it in the colour-only saddle); the text
            # tower meanwhile aligns to the (detached) image embeddings.
            V = V.detach()
        Tb, Tcs, Tc, Ts = T[:B], T[B:B + 30], T[B + 30:B + 36], T[B + 36:]
        logits = scale * V @ Tb.t()
        cc, cs = cap_c[cap_sel], cap_s[cap_sel]
        match = (((cc[None] == -1) | (cc[None] == ci[:, None])) & ((cs[None] == -1) | (cs[None] == si[:, None]))).float()
        l_con = 0.5 * (multi_positive_ce(logits, match) + multi_positive_ce(logits.t(), match.t()))
        l_cls = (F.cross_entropy(scale * V @ Tcs.t(), ci * 5 + si)
                 + F.cross_entropy(scale * V @ Tc.t(), ci)
                 + F.cross_entropy(scale * V @ Ts.t(), si))
        ha = aux(Vraw)
        l_aux = F.cross_entropy(ha[:, :6], ci) + F.cross_entropy(ha[:, 6:], si)
        loss = l_con + l_cls + args.aux_weight * l_aux
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 10.0)
        opt.step()
        sched.step()
        if step % 25 == 0 or step == args.steps - 1:
            acc = ((V @ Tcs.t()).argmax(1) == ci * 5 + si).float().mean().item()
            log(f"step {step:4d} loss {loss.item():.3f} (con {l_con.item():.3f} cls {l_cls.item():.3f} aux {l_aux.item():.3f}) "
                f"batch-acc30 {acc:.3f} scale {scale:.1f} lr {sched.get_last_lr()[0]:.2e} {time.time() - t_train:.0f}s")
    train_time = time.time() - t_train
    log(f"training time {train_time:.0f}s")
    text.eval()
    vision.eval()
    return text, vision, train_time, time.time() - t0


def write_configs(out):
    cfg = {
        "_name_or_path": "builtin/clip-shapes",
        "architectures": ["CLIPModel"],
        "model_type": "clip",
        "projection_dim": TEXT["embed_dim"],
        "logit_scale_init_value": float(np.log(LOGIT_SCALE)),
        "torch_dtype": "float32",
        "initializer_factor": 1.0,
        "text_config": {
            "model_type": "clip_text_model",
            "vocab_size": L.VOCAB_SIZE,
            "hidden_size": TEXT["width"],
            "intermediate_size": TEXT["width"] * 4,
            "num_hidden_layers": TEXT["layers"],
            "num_attention_heads": TEXT["heads"],
            "max_position_embeddings": L.CONTEXT_LENGTH,
            "hidden_act": "gelu",
            "projection_dim": TEXT["embed_dim"],
            "bos_token_id": L.SOT,
            "eos_token_id": L.EOT,
            "pad_token_id": L.EOT,
            "token_embedding_factor_dim": TEXT["factor_dim"],
        },
        "vision_config": {
            "model_type": "clip_vision_model",
            "image_size": IMAGE_SIZE,
            "patch_size": VISION["patch_size"],
            "num_channels": 3,
            "hidden_size": VISION["width"],
            "intermediate_size": VISION["width"] * 4,
            "num_hidden_layers": VISION["layers"],
            "num_attention_heads": VISION["heads"],
            "hidden_act": "gelu",
            "projection_dim": VISION["embed_dim"],
            "patch_embedding": "conv stem: 3x(conv3x3 stride 2 + BatchNorm + GELU) + conv1x1 (overall stride 8)",
            "background_difference_channel": VISION.get("bg_diff", False),
        },
        # No "transformers.js_config" dtype pin (as on the Hub): both fp32 and q8 files ship
        # (tools/quantize_dynamic_q8.py), and the loader's own dtype choice picks one.
        "clip_shapes": {
            "colours": L.COLOURS,
            "shapes": L.SHAPES,
            "logit_scale": LOGIT_SCALE,
            "trained_by": "tools/train_clip_shapes.py",
        },
    }
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    pre = {
        "crop_size": {"height": IMAGE_SIZE, "width": IMAGE_SIZE},
        "do_center_crop": False,
        "do_convert_rgb": True,
        "do_normalize": True,
        "do_rescale": True,
        "do_resize": True,
        "feature_extractor_type": "CLIPFeatureExtractor",
        "image_mean": L.CLIP_MEAN,
        "image_processor_type": "CLIPImageProcessor",
        "image_std": L.CLIP_STD,
        "resample": 2,
        "rescale_factor": 0.00392156862745098,
        "size": {"height": IMAGE_SIZE, "width": IMAGE_SIZE},
    }
    with open(os.path.join(out, "preprocessor_config.json"), "w") as f:
        json.dump(pre, f, indent=2)
    L.write_tokenizer_files(out)


def make_eval_set(n_per_class, eval_dir):
    """Fresh held-out images (EVAL_SEED), saved losslessly at their original size."""
    os.makedirs(eval_dir, exist_ok=True)
    rng = np.random.default_rng(EVAL_SEED)
    items = []
    k = 0
    for r in range(n_per_class):
        for ci in range(6):
            for si in range(5):
                arr = L.render_image(rng, ci, si)
                name = f"{k:05d}.png"
                Image.fromarray(arr).save(os.path.join(eval_dir, name))
                items.append({"file": name, "colour": ci, "shape": si, "w": arr.shape[1], "h": arr.shape[0]})
                k += 1
    with open(os.path.join(eval_dir, "labels.json"), "w") as f:
        json.dump({"colours": L.COLOURS, "shapes": L.SHAPES, "items": items}, f)
    return items


def prompt_sets():
    t = "a photo of a {}."
    full = [t.format(f"{c} {s}") for c in L.COLOURS for s in L.SHAPES]
    return {"colour_shape": full, "colour": [t.format(c) for c in L.COLOURS], "shape": [t.format(s) for s in L.SHAPES]}


@torch.no_grad()
def torch_eval(text, vision, items, eval_dir, tok):
    xs = np.stack([L.squash_eval(np.asarray(Image.open(os.path.join(eval_dir, it["file"])).convert("RGB")), IMAGE_SIZE)
                   for it in items])
    V = torch.cat([F.normalize(vision(torch.from_numpy(L.normalise(xs[i:i + 256]))), dim=-1)
                   for i in range(0, len(xs), 256)])
    ci = torch.tensor([it["colour"] for it in items])
    si = torch.tensor([it["shape"] for it in items])
    res = {}
    for name, prompts in prompt_sets().items():
        T = F.normalize(text(torch.from_numpy(L.pad_batch([tok(p) for p in prompts]))), dim=-1)
        pred = (V @ T.t()).argmax(1)
        tgt = {"colour_shape": ci * 5 + si, "colour": ci, "shape": si}[name]
        res[name] = (pred == tgt).float().mean().item()
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="tiny smoke-test run")
    ap.add_argument("--steps", type=int, default=1600)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--scale-hold", type=float, default=0.3, help="fraction of steps at scale-start")
    ap.add_argument("--scale-start", type=float, default=10.0,
                    help="logit scale at step 0 (ramped geometrically to 100)")
    ap.add_argument("--scale-warmup", type=float, default=0.3, help="fraction of steps to ramp to scale 100")
    ap.add_argument("--stem", default=None, help="override the vision stem (conv / conv2)")
    ap.add_argument("--aux-weight", type=float, default=1.0)
    ap.add_argument("--train-images", type=int, default=16000)
    ap.add_argument("--shift-data", action="store_true",
                    help="train also on any-angle rotations and outlined shapes (see --shift-rotation/--shift-outline); "
                         "off = the data the committed model was trained on")
    ap.add_argument("--shift-rotation", type=float, default=0.5, help="with --shift-data: share rotated 0-360 deg")
    ap.add_argument("--shift-outline", type=float, default=0.25, help="with --shift-data: share drawn unfilled")
    ap.add_argument("--procs", type=int, default=2, help="processes rendering the training pictures")
    ap.add_argument("--eval-per-class", type=int, default=40, help="held-out images per colour x shape class")
    ap.add_argument("--out", default=os.path.join(REPO, "public/models/builtin/clip-shapes"))
    ap.add_argument("--eval-dir", default="/tmp/clip_shapes_eval")
    ap.add_argument("--metrics", default=os.path.join(REPO, "tools/clip_shapes_metrics.json"))
    ap.add_argument("--save-torch", default="/tmp/clip_shapes_torch.pt",
                    help="also save the torch weights here (used by make_bench_models.py)")
    args = ap.parse_args()
    if args.quick:
        args.steps, args.train_images, args.eval_per_class = 30, 1000, 4
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    if args.stem:
        VISION["stem"] = args.stem
    t_all = time.time()
    text, vision, train_time, _ = train(args)
    torch.save({"text": text.state_dict(), "vision": vision.state_dict(), "TEXT": TEXT, "VISION": VISION},
               args.save_torch)

    os.makedirs(os.path.join(args.out, "onnx"), exist_ok=True)
    write_configs(args.out)
    L.export_text(text, os.path.join(args.out, "onnx/text_model.onnx"))
    L.export_vision(vision, os.path.join(args.out, "onnx/vision_model.onnx"), IMAGE_SIZE)
    import onnx
    for f in ("text_model.onnx", "vision_model.onnx"):
        onnx.checker.check_model(onnx.load(os.path.join(args.out, "onnx", f)))
    sizes = {}
    for root, _, files in os.walk(args.out):
        for f in files:
            p = os.path.join(root, f)
            sizes[os.path.relpath(p, args.out)] = os.path.getsize(p)
    log("exported files:", json.dumps(sizes), f"total {sum(sizes.values()) / 1e6:.2f} MB")

    # ---- held-out evaluation ------------------------------------------------------
    tok = L.SimpleTokenizer()
    items = make_eval_set(args.eval_per_class, args.eval_dir)
    log(f"held-out set: {len(items)} images (seed {EVAL_SEED}) in {args.eval_dir}")
    acc_torch = torch_eval(text, vision, items, args.eval_dir, tok)
    log("torch (PIL bilinear squash) accuracies:", json.dumps(acc_torch))

    # cross-check inputs for the node script
    check_pix = L.normalise(np.stack([L.squash_eval(np.asarray(Image.open(os.path.join(args.eval_dir, it["file"]))
                                                               .convert("RGB")), IMAGE_SIZE) for it in items[:8]]))
    check_pix.astype(np.float32).tofile(os.path.join(args.eval_dir, "check_pixels.f32"))
    tok_strings = ["a photo of a red circle.", "A Photo of a PURPLE   star!", "hello world 123", "naïve café",
                   "a drawing of a yellow triangle", "it's 2 o'clock, isn't it?"]
    with open(os.path.join(args.eval_dir, "tokenizer_check.json"), "w") as f:
        json.dump({"strings": tok_strings, "ids": [tok(s) for s in tok_strings]}, f, ensure_ascii=False)
    node_out = os.path.join(args.eval_dir, "node_result.json")
    cmd = ["node", os.path.join(REPO, "tools/eval_clip_shapes.mjs"), "--models", os.path.dirname(os.path.dirname(args.out)) + "/",
           "--model", "builtin/" + os.path.basename(args.out), "--eval-dir", args.eval_dir, "--out", node_out]
    log("running:", " ".join(cmd))
    subprocess.run(cmd, check=True, cwd=REPO)
    node = json.load(open(node_out))

    # torch vs ONNX on identical inputs
    with torch.no_grad():
        tv = vision(torch.from_numpy(check_pix)).numpy()
        prompts = sum(prompt_sets().values(), [])
        tt = text(torch.from_numpy(L.pad_batch([tok(p) for p in prompts]))).numpy()
    d_vis = float(np.abs(tv - np.array(node["check_image_embeds"])).max())
    d_txt = float(np.abs(tt - np.array(node["prompt_text_embeds"])).max())
    d_pix = float(np.abs(check_pix[0] - np.array(node["pixel_values_0"]).reshape(check_pix[0].shape)).max())
    log(f"max |torch - onnx| image_embeds {d_vis:.2e}, text_embeds {d_txt:.2e}; "
        f"max |PIL - transformers.js| pixel_values (image 0, {items[0]['w']}x{items[0]['h']}) {d_pix:.3f}")
    metrics = {
        "heldout_images": len(items),
        "eval_seed": EVAL_SEED,
        "template": "a photo of a {}.",
        "onnx_transformersjs": node["accuracy"],
        "torch_pil_bilinear": acc_torch,
        "tokenizer_ids_match_transformersjs": node["tokenizer_match"],
        "max_abs_diff_torch_vs_onnx": {"image_embeds": d_vis, "text_embeds": d_txt},
        "max_abs_diff_pixel_values_pil_vs_transformersjs": d_pix,
        "train_steps": args.steps, "batch": args.batch, "train_images": args.train_images,
        "train_seconds": round(train_time), "total_seconds": round(time.time() - t_all),
        "files_bytes": sizes, "total_bytes": sum(sizes.values()),
        "quick": args.quick,
    }
    with open(args.metrics, "w") as f:
        json.dump(metrics, f, indent=2)
    log("HELD-OUT ZERO-SHOT ACCURACY (exported ONNX via transformers.js/onnxruntime-node, "
        f"{len(items)} images):")
    for k, v in node["accuracy"].items():
        log(f"  {k:13s} {100 * v:.2f}%")
    log(f"wrote {args.metrics} (without a shift section: run tools/eval_clip_shapes_shift.py on the new files); "
        f"total time {time.time() - t_all:.0f}s")


if __name__ == "__main__":
    main()
