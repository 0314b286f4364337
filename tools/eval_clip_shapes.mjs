// Held-out evaluation of an exported CLIP-style model (text_model.onnx + vision_model.onnx)
// through transformers.js (AutoTokenizer, AutoProcessor, CLIP*ModelWithProjection) on
// onnxruntime-node. Called by tools/train_clip_shapes.py; can also be run by hand:
//   node tools/eval_clip_shapes.mjs --models public/models/ --model builtin/clip-shapes \
//        --eval-dir /tmp/clip_shapes_eval --out /tmp/clip_shapes_eval/node_result.json
// The eval dir holds PNGs + labels.json (written by train_clip_shapes.py), optionally
// check_pixels.f32 (8x3xSxS float32) and tokenizer_check.json.
import fs from 'node:fs';
import path from 'node:path';
import {
  AutoTokenizer, AutoProcessor, CLIPTextModelWithProjection, CLIPVisionModelWithProjection,
  RawImage, Tensor,
} from '@huggingface/transformers';
import { parseArgs, unitRows, useLocalModels } from './eval_common.mjs';

const args = parseArgs();
useLocalModels(args.models ?? 'public/models/');
const modelId = args.model ?? 'builtin/clip-shapes';
const evalDir = args['eval-dir'] ?? '/tmp/clip_shapes_eval';
const opts = { device: 'cpu', dtype: args.dtype ?? 'fp32' }; // --dtype q8: onnx/*_quantized.onnx

const tokenizer = await AutoTokenizer.from_pretrained(modelId);
const processor = await AutoProcessor.from_pretrained(modelId);
const textModel = await CLIPTextModelWithProjection.from_pretrained(modelId, opts);
const visionModel = await CLIPVisionModelWithProjection.from_pretrained(modelId, opts);

const rows = (t) => {
  const [n, d] = t.dims;
  return Array.from({ length: n }, (_, i) => Array.from(t.data.slice(i * d, (i + 1) * d)));
};
const dot = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0);

const result = {};

// tokenizer cross-check against the Python SimpleTokenizer re-implementation
const tcPath = path.join(evalDir, 'tokenizer_check.json');
if (fs.existsSync(tcPath)) {
  const tc = JSON.parse(fs.readFileSync(tcPath, 'utf8'));
  const got = tc.strings.map((s) => Array.from(tokenizer(s).input_ids.data, Number));
  result.tokenizer_match = got.every((ids, i) => JSON.stringify(ids) === JSON.stringify(tc.ids[i]));
  result.tokenizer_ids = got;
  console.log('tokenizer ids identical to Python SimpleTokenizer:', result.tokenizer_match);
}

const T = 'a photo of a {}.';
const labels = JSON.parse(fs.readFileSync(path.join(evalDir, 'labels.json'), 'utf8'));
const { colours, shapes, items } = labels;
const sets = {
  colour_shape: colours.flatMap((c) => shapes.map((s) => T.replace('{}', `${c} ${s}`))),
  colour: colours.map((c) => T.replace('{}', c)),
  shape: shapes.map((s) => T.replace('{}', s)),
};
const allPrompts = [...sets.colour_shape, ...sets.colour, ...sets.shape];
const textInputs = tokenizer(allPrompts, { padding: true, truncation: true });
const { text_embeds } = await textModel(textInputs);
result.prompt_text_embeds = rows(text_embeds);
// padding invariance: first prompt alone vs padded inside the batch
const alone = rows((await textModel(tokenizer([allPrompts[30]]))).text_embeds)[0];
result.padding_max_abs_diff = Math.max(...alone.map((x, i) => Math.abs(x - result.prompt_text_embeds[30][i])));
const tn = unitRows(text_embeds);
const tsets = { colour_shape: tn.slice(0, 30), colour: tn.slice(30, 36), shape: tn.slice(36) };

const correct = { colour_shape: 0, colour: 0, shape: 0 };
const B = 64;
const t0 = Date.now();
for (let i = 0; i < items.length; i += B) {
  const batch = items.slice(i, i + B);
  const images = await Promise.all(batch.map((it) => RawImage.read(path.join(evalDir, it.file))));
  const { pixel_values } = await processor(images);
  if (i === 0) {
    result.pixel_values_shape = pixel_values.dims;
    const n = pixel_values.dims.slice(1).reduce((a, b) => a * b, 1);
    result.pixel_values_0 = Array.from(pixel_values.data.slice(0, n));
    result.image_0_size = [images[0].width, images[0].height];
  }
  const { image_embeds } = await visionModel({ pixel_values });
  const vn = unitRows(image_embeds);
  batch.forEach((it, j) => {
    const tgt = { colour_shape: it.colour * shapes.length + it.shape, colour: it.colour, shape: it.shape };
    for (const k of Object.keys(tsets)) {
      const sims = tsets[k].map((t) => dot(vn[j], t));
      const pred = sims.indexOf(Math.max(...sims));
      if (pred === tgt[k]) correct[k]++;
    }
  });
}
result.images = items.length;
result.seconds = (Date.now() - t0) / 1000;
result.accuracy = Object.fromEntries(Object.entries(correct).map(([k, v]) => [k, v / items.length]));
console.log(`transformers.js/onnxruntime-node accuracy on ${items.length} held-out images:`, JSON.stringify(result.accuracy),
  `pixel_values ${JSON.stringify(result.pixel_values_shape)} for a ${result.image_0_size.join('x')} image;`,
  `padding max diff ${result.padding_max_abs_diff.toExponential(2)}`);

const cp = path.join(evalDir, 'check_pixels.f32');
if (fs.existsSync(cp)) {
  const buf = fs.readFileSync(cp);
  const data = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const S = Math.round(Math.sqrt(data.length / 8 / 3));
  const { image_embeds } = await visionModel({ pixel_values: new Tensor('float32', data, [8, 3, S, S]) });
  result.check_image_embeds = rows(image_embeds);
}
fs.writeFileSync(args.out ?? path.join(evalDir, 'node_result.json'), JSON.stringify(result));
