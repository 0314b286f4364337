// Shift evaluation of the exported clip-shapes model (called by tools/eval_clip_shapes_shift.py):
// for every condition folder under --root (PNG/JPEG files + labels.json), the two best labels of
// each image among the 30 colour+shape, 6 colour and 5 shape prompts ("a photo of a {}."), through
// transformers.js (AutoTokenizer, AutoProcessor, CLIP*ModelWithProjection) on onnxruntime-node.
//   node tools/eval_clip_shapes_shift.mjs --models public/models/ --model builtin/clip-shapes \
//        --dtype fp32 --root /tmp/clip_shapes_shift --out /tmp/clip_shapes_shift/ranks_fp32.json
// --dtype q8 loads onnx/{text,vision}_model_quantized.onnx (transformers.js's file names for q8).
import fs from 'node:fs';
import path from 'node:path';
import {
  AutoTokenizer, AutoProcessor, CLIPTextModelWithProjection, CLIPVisionModelWithProjection, RawImage,
} from '@huggingface/transformers';
import { parseArgs, unitRows, useLocalModels } from './eval_common.mjs';

const args = parseArgs();
const modelsDir = args.models ?? 'public/models/';
useLocalModels(modelsDir);
const modelId = args.model ?? 'builtin/clip-shapes';
const dtype = args.dtype ?? 'fp32';
const root = args.root ?? '/tmp/clip_shapes_shift';
const suffix = { fp32: '', q8: '_quantized' }[dtype];
if (suffix === undefined) throw new Error(`--dtype must be fp32 or q8, not ${dtype}`);
const files = ['text_model', 'vision_model'].map((t) => path.join(modelsDir, modelId, 'onnx', `${t}${suffix}.onnx`));
for (const f of files) if (!fs.existsSync(f)) throw new Error(`${f} missing (dtype ${dtype})`);
const opts = { device: 'cpu', dtype };

const tokenizer = await AutoTokenizer.from_pretrained(modelId);
const processor = await AutoProcessor.from_pretrained(modelId);
const textModel = await CLIPTextModelWithProjection.from_pretrained(modelId, opts);
const visionModel = await CLIPVisionModelWithProjection.from_pretrained(modelId, opts);

const dot = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0);
const top2 = (sims) => {
  const order = sims.map((s, i) => [s, i]).sort((a, b) => b[0] - a[0]);
  return [order[0][1], order[1][1]];
};

const T = 'a photo of a {}.';
const conditions = fs.readdirSync(root).filter((d) => fs.existsSync(path.join(root, d, 'labels.json'))).sort();
const first = JSON.parse(fs.readFileSync(path.join(root, conditions[0], 'labels.json'), 'utf8'));
const { colours, shapes } = first;
const prompts = {
  colour_shape: colours.flatMap((c) => shapes.map((s) => T.replace('{}', `${c} ${s}`))),
  colour: colours.map((c) => T.replace('{}', c)),
  shape: shapes.map((s) => T.replace('{}', s)),
};
const all = [...prompts.colour_shape, ...prompts.colour, ...prompts.shape];
const tn = unitRows((await textModel(tokenizer(all, { padding: true, truncation: true }))).text_embeds);
const tsets = { colour_shape: tn.slice(0, 30), colour: tn.slice(30, 36), shape: tn.slice(36) };

const result = { dtype, files: files.map((f) => [path.relative(modelsDir, f), fs.statSync(f).size]), conditions: {} };
const B = 64;
const t0 = Date.now();
for (const cond of conditions) {
  const { items } = JSON.parse(fs.readFileSync(path.join(root, cond, 'labels.json'), 'utf8'));
  const ranks = { colour_shape: [], colour: [], shape: [] };
  for (let i = 0; i < items.length; i += B) {
    const batch = items.slice(i, i + B);
    const images = await Promise.all(batch.map((it) => RawImage.read(path.join(root, cond, it.file))));
    const { pixel_values } = await processor(images);
    const vn = unitRows((await visionModel({ pixel_values })).image_embeds);
    for (const v of vn) for (const k of Object.keys(tsets)) ranks[k].push(top2(tsets[k].map((t) => dot(v, t))));
  }
  result.conditions[cond] = ranks;
  console.log(`${cond}: ${items.length} images ranked (${dtype})`);
}
result.seconds = (Date.now() - t0) / 1000;
fs.writeFileSync(args.out ?? path.join(root, `ranks_${dtype}.json`), JSON.stringify(result));
