#!/usr/bin/env python3
"""Write benchmark models into bench/.models/ (git-ignored; never commit them).

  bench/.models/clip-vitb32-random/   CLIP ViT-B/32-sized towers with random weights (seed 0):
      onnx/vision_model.onnx   pixel_values [B,3,224,224] -> image_embeds [B,512]
                               (patch 32, width 768, 12 layers, 12 heads, MLP 3072)
      onnx/text_model.onnx     input_ids [B,L] -> text_embeds [B,512]
                               (width 512, 12 layers, 8 heads, vocab 49408, ctx 77)
      onnx/model.onnx          combined, Xenova/HF CLIPModel interface (see below)
      config.json, preprocessor_config.json (224 px, shortest_edge resize + center crop), tokenizer files
  bench/.models/clip-shapes-full/     the trained built-in model (public/models/builtin/clip-shapes)
      with a combined onnx/model.onnx (logit scale 100) + its configs / tokenizer,
      so that transformers.js's zero-shot-image-classification pipeline can run it.

Combined model.onnx: inputs input_ids int64 [n_texts, L], attention_mask int64 [n_texts, L],
pixel_values float32 [n_images, 3, S, S]; outputs logits_per_image [n_images, n_texts],
logits_per_text [n_texts, n_images], text_embeds [n_texts, D] and image_embeds [n_images, D]
(both L2-normalised, as in HF CLIPModel). It is built by composing the two tower graphs with
onnx.compose; attention_mask is consumed by replacing masked ids with the pad/EOT token 49407
(a no-op for CLIP tokenizers, which pad with 49407 anyway, and padding never changes the
EOT-pooled result because of the causal mask).

Usage (repo root):  OPENBLAS_NUM_THREADS=2 /usr/bin/python3 tools/make_bench_models.py [--skip-random]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("OMP_NUM_THREADS", "2")

import numpy as np
import onnx
from onnx import TensorProto, helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clip_shapes_lib as L  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json"]


def log(*a):
    print(*a, flush=True)


def add_prefix(model, prefix):
    """Prefix every tensor / node name, recursing into subgraphs (If bodies reference
    outer-scope names, which onnx.compose.add_prefix of onnx 1.12 does not rename)."""
    def ren(n):
        return prefix + n if n else n

    def walk(g):
        for x in list(g.input) + list(g.output) + list(g.value_info):
            x.name = ren(x.name)
        for x in g.initializer:
            x.name = ren(x.name)
        for node in g.node:
            node.name = ren(node.name)
            for i, n in enumerate(node.input):
                node.input[i] = ren(n)
            for i, n in enumerate(node.output):
                node.output[i] = ren(n)
            for a in node.attribute:
                if a.type == onnx.AttributeProto.GRAPH:
                    walk(a.g)
                for sg in a.graphs:
                    walk(sg)
    walk(model.graph)
    return model


def combine(text_path, vision_path, out_path, logit_scale=100.0):
    t = add_prefix(onnx.load(text_path), "text/")
    v = add_prefix(onnx.load(vision_path), "vision/")
    opset = max(t.opset_import[0].version, v.opset_import[0].version)
    D_t = t.graph.output[0].type.tensor_type.shape.dim[1]
    D_v = v.graph.output[0].type.tensor_type.shape.dim[1]
    S = v.graph.input[0].type.tensor_type.shape.dim[2].dim_value
    inputs = [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["text_batch_size", "sequence_length"]),
        helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["text_batch_size", "sequence_length"]),
        helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, ["image_batch_size", 3, S, S]),
    ]
    D = D_t.dim_value
    outputs = [
        helper.make_tensor_value_info("logits_per_image", TensorProto.FLOAT, ["image_batch_size", "text_batch_size"]),
        helper.make_tensor_value_info("logits_per_text", TensorProto.FLOAT, ["text_batch_size", "image_batch_size"]),
        helper.make_tensor_value_info("text_embeds", TensorProto.FLOAT, ["text_batch_size", D]),
        helper.make_tensor_value_info("image_embeds", TensorProto.FLOAT, ["image_batch_size", D]),
    ]
    tin, tout = t.graph.input[0].name, t.graph.output[0].name
    vin, vout = v.graph.input[0].name, v.graph.output[0].name
    inits = [
        helper.make_tensor("comb/pad_id", TensorProto.INT64, [], [L.EOT]),
        helper.make_tensor("comb/zero", TensorProto.INT64, [], [0]),
        helper.make_tensor("comb/scale", TensorProto.FLOAT, [], [logit_scale]),
    ]
    pre = [
        helper.make_node("Greater", ["attention_mask", "comb/zero"], ["comb/keep"]),
        helper.make_node("Where", ["comb/keep", "input_ids", "comb/pad_id"], [tin]),
        helper.make_node("Identity", ["pixel_values"], [vin]),
    ]
    post = [
        helper.make_node("ReduceL2", [tout], ["comb/tnorm"], axes=[-1], keepdims=1),
        helper.make_node("Div", [tout, "comb/tnorm"], ["text_embeds"]),
        helper.make_node("ReduceL2", [vout], ["comb/vnorm"], axes=[-1], keepdims=1),
        helper.make_node("Div", [vout, "comb/vnorm"], ["image_embeds"]),
        helper.make_node("Transpose", ["image_embeds"], ["comb/vT"], perm=[1, 0]),
        helper.make_node("MatMul", ["text_embeds", "comb/vT"], ["comb/sim"]),
        helper.make_node("Mul", ["comb/sim", "comb/scale"], ["logits_per_text"]),
        helper.make_node("Transpose", ["logits_per_text"], ["logits_per_image"], perm=[1, 0]),
    ]
    graph = helper.make_graph(
        pre + list(t.graph.node) + list(v.graph.node) + post, "clip_combined", inputs, outputs,
        initializer=inits + list(t.graph.initializer) + list(v.graph.initializer),
        value_info=list(t.graph.value_info) + list(v.graph.value_info))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="make_bench_models")
    model.ir_version = t.ir_version
    onnx.save(model, out_path)
    onnx.checker.check_model(out_path)
    return out_path


def clip_vitb32_config():
    return {
        "architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": 512,
        "logit_scale_init_value": 2.6592, "torch_dtype": "float32",
        "text_config": {"model_type": "clip_text_model", "vocab_size": 49408, "hidden_size": 512,
                        "intermediate_size": 2048, "num_hidden_layers": 12, "num_attention_heads": 8,
                        "max_position_embeddings": 77, "hidden_act": "gelu", "projection_dim": 512,
                        "bos_token_id": L.SOT, "eos_token_id": L.EOT, "pad_token_id": L.EOT},
        "vision_config": {"model_type": "clip_vision_model", "image_size": 224, "patch_size": 32,
                          "num_channels": 3, "hidden_size": 768, "intermediate_size": 3072,
                          "num_hidden_layers": 12, "num_attention_heads": 12, "hidden_act": "gelu",
                          "projection_dim": 512},
        "transformers.js_config": {"dtype": "fp32"},
        "bench_note": "random weights (seed 0), for speed benchmarks only; logit scale 100",
    }


def clip_preprocessor_224():
    return {
        "crop_size": {"height": 224, "width": 224}, "do_center_crop": True, "do_convert_rgb": True,
        "do_normalize": True, "do_rescale": True, "do_resize": True,
        "feature_extractor_type": "CLIPFeatureExtractor", "image_mean": L.CLIP_MEAN,
        "image_processor_type": "CLIPImageProcessor", "image_std": L.CLIP_STD, "resample": 3,
        "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": 224},
    }


def make_random_vitb32(out_dir, builtin):
    import torch
    torch.set_num_threads(2)
    torch.manual_seed(0)
    os.makedirs(os.path.join(out_dir, "onnx"), exist_ok=True)
    vision = L.VisionTower(image_size=224, patch_size=32, width=768, layers=12, heads=12, embed_dim=512, stem="patch")
    text = L.TextTower(width=512, layers=12, heads=8, embed_dim=512, factor_dim=None)
    log(f"random ViT-B/32: vision {sum(p.numel() for p in vision.parameters()):,} params, "
        f"text {sum(p.numel() for p in text.parameters()):,} params")
    t0 = time.time()
    L.export_vision(vision, os.path.join(out_dir, "onnx/vision_model.onnx"), 224)
    L.export_text(text, os.path.join(out_dir, "onnx/text_model.onnx"))
    log(f"exported towers in {time.time() - t0:.0f}s")
    combine(os.path.join(out_dir, "onnx/text_model.onnx"), os.path.join(out_dir, "onnx/vision_model.onnx"),
            os.path.join(out_dir, "onnx/model.onnx"))
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(clip_vitb32_config(), f, indent=2)
    with open(os.path.join(out_dir, "preprocessor_config.json"), "w") as f:
        json.dump(clip_preprocessor_224(), f, indent=2)
    for fn in TOKENIZER_FILES:
        shutil.copy(os.path.join(builtin, fn), os.path.join(out_dir, fn))


def make_shapes_full(out_dir, builtin):
    os.makedirs(os.path.join(out_dir, "onnx"), exist_ok=True)
    for fn in TOKENIZER_FILES + ["config.json", "preprocessor_config.json"]:
        shutil.copy(os.path.join(builtin, fn), os.path.join(out_dir, fn))
    combine(os.path.join(builtin, "onnx/text_model.onnx"), os.path.join(builtin, "onnx/vision_model.onnx"),
            os.path.join(out_dir, "onnx/model.onnx"))


NODE_CHECK = r"""
import { pipeline, env } from '@huggingface/transformers';
env.localModelPath = process.argv[1]; env.allowRemoteModels = false;
const [model, img, labelsJson] = process.argv.slice(2);
const labels = JSON.parse(labelsJson);
const t0 = Date.now();
const clf = await pipeline('zero-shot-image-classification', model, { device: 'cpu' });
const t1 = Date.now();
const out = await clf(img, labels, { hypothesis_template: 'a photo of a {}.' });
console.log(JSON.stringify({ model, load_ms: t1 - t0, run_ms: Date.now() - t1, top: out.slice(0, 3) }));
"""


def node_pipeline_check(models_dir, model, img_path, labels):
    cmd = ["node", "--input-type=module", "-e", NODE_CHECK, models_dir, model, img_path, json.dumps(labels)]
    r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(r.stderr)
    if r.stderr.strip():
        log("node stderr:", r.stderr.strip()[:2000])
    return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(REPO, "bench/.models"))
    ap.add_argument("--builtin", default=os.path.join(REPO, "public/models/builtin/clip-shapes"))
    ap.add_argument("--skip-random", action="store_true", help="do not build clip-vitb32-random")
    ap.add_argument("--skip-shapes", action="store_true", help="do not build clip-shapes-full")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if not args.skip_shapes:
        make_shapes_full(os.path.join(args.out, "clip-shapes-full"), args.builtin)
        log("wrote", os.path.join(args.out, "clip-shapes-full"))
    if not args.skip_random:
        make_random_vitb32(os.path.join(args.out, "clip-vitb32-random"), args.builtin)
        log("wrote", os.path.join(args.out, "clip-vitb32-random"))
    for root, _, files in os.walk(args.out):
        for fn in sorted(files):
            p = os.path.join(root, fn)
            log(f"  {os.path.relpath(p, args.out):50s} {os.path.getsize(p) / 1e6:9.2f} MB")

    # transformers.js pipeline check on generated images (seed unrelated to training)
    from PIL import Image
    rng = np.random.default_rng(424242)
    labels = [f"{c} {s}" for c in L.COLOURS for s in L.SHAPES]
    ok = 0
    cases = [(0, 0), (4, 3), (2, 2), (5, 4), (3, 1)]  # red circle, blue star, yellow triangle, purple cross, green square
    for ci, si in ([] if args.skip_shapes else cases):
        arr = L.render_image(rng, ci, si)
        p = f"/tmp/bench_check_{ci}_{si}.png"
        Image.fromarray(arr).save(p)
        res = node_pipeline_check(args.out + "/", "clip-shapes-full", p, labels)
        hit = res["top"][0]["label"] == f"{L.COLOURS[ci]} {L.SHAPES[si]}"
        ok += hit
        log(f"pipeline clip-shapes-full on {arr.shape[1]}x{arr.shape[0]} {L.COLOURS[ci]} {L.SHAPES[si]}: "
            f"{json.dumps(res['top'])} {'OK' if hit else 'WRONG'}")
    if not args.skip_shapes:
        log(f"clip-shapes-full pipeline: {ok}/{len(cases)} ranked the right label first")
    if not args.skip_random:
        if args.skip_shapes:
            p = "/tmp/bench_check_random.png"
            Image.fromarray(L.render_image(rng, 0, 0)).save(p)
        res = node_pipeline_check(args.out + "/", "clip-vitb32-random", p, labels[:5])
        log(f"pipeline clip-vitb32-random runs: load {res['load_ms']} ms, run {res['run_ms']} ms, top {res['top'][0]}")


if __name__ == "__main__":
    main()
