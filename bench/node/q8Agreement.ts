/**
 * q8 vs fp32 on the built-in model's held-out shapes: the 1,200 pictures (seed 987654321) of
 * tools/clip_shapes_metrics.json, through transformers.js (AutoTokenizer, AutoProcessor,
 * CLIP*ModelWithProjection on onnxruntime-node) as tools/eval_clip_shapes.mjs evaluates them, with
 * the template "a photo of a {}." over the 30 colour + shape labels, scored as the app scores them
 * (softmax of CLIP_LOGIT_SCALE × cosine). Both towers at fp32, then both at q8 (what `dtype: 'q8'` loads).
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { AutoProcessor, AutoTokenizer, CLIPTextModelWithProjection, CLIPVisionModelWithProjection, RawImage, env, type Tensor } from '@huggingface/transformers';
import { CLIP_LOGIT_SCALE, argmaxAt, dot, l2Normalize, softmax } from '../../src/lib/scoring';

const TEMPLATE = 'a photo of a {}.';
const BATCH = 64;

export interface Q8Agreement {
  images: number;
  labels: number;
  template: string;
  /** Share of images whose top label is the same at q8 and at fp32. */
  top1Agreement: number;
  disagreements: number;
  /** Largest and mean |p_q8 − p_fp32| over every image and label. */
  maxAbsProbDiff: number;
  meanAbsProbDiff: number;
  accuracy: { fp32: number; q8: number };
  seconds: number;
}

interface HeldOutLabels {
  colours: string[];
  shapes: string[];
  items: Array<{ file: string; colour: number; shape: number }>;
}

function unitRows(tensor: Tensor): Float32Array[] {
  const [rows, width] = tensor.dims as [number, number];
  const data = tensor.data as Float32Array;
  return Array.from({ length: rows }, (_, r) => l2Normalize(data.subarray(r * width, (r + 1) * width)));
}

export async function q8HeldOutAgreement(heldOutDir: string, modelPath: string): Promise<Q8Agreement> {
  const started = performance.now();
  env.localModelPath = `${dirname(modelPath)}/`;
  env.allowLocalModels = true;
  env.allowRemoteModels = false;
  const modelId = basename(modelPath);
  const { colours, shapes, items } = JSON.parse(readFileSync(join(heldOutDir, 'labels.json'), 'utf8')) as HeldOutLabels;
  const prompts = colours.flatMap((colour) => shapes.map((shape) => TEMPLATE.replace('{}', `${colour} ${shape}`)));
  const tokenizer = await AutoTokenizer.from_pretrained(modelId);
  const processor = await AutoProcessor.from_pretrained(modelId);
  const textInputs = tokenizer(prompts, { padding: true, truncation: true });

  const probabilities: Record<'fp32' | 'q8', number[][]> = { fp32: [], q8: [] };
  const towers = {} as Record<'fp32' | 'q8', { text: CLIPTextModelWithProjection; vision: CLIPVisionModelWithProjection; prompts: Float32Array[] }>;
  for (const dtype of ['fp32', 'q8'] as const) {
    const text = await CLIPTextModelWithProjection.from_pretrained(modelId, { device: 'cpu', dtype });
    const vision = await CLIPVisionModelWithProjection.from_pretrained(modelId, { device: 'cpu', dtype });
    const { text_embeds } = (await text(textInputs)) as { text_embeds: Tensor };
    towers[dtype] = { text, vision, prompts: unitRows(text_embeds) };
  }
  for (let start = 0; start < items.length; start += BATCH) {
    const batch = items.slice(start, start + BATCH);
    const images = await Promise.all(batch.map((item) => RawImage.read(join(heldOutDir, item.file))));
    const { pixel_values } = (await processor(images)) as { pixel_values: Tensor };
    for (const dtype of ['fp32', 'q8'] as const) {
      const { vision, prompts: promptRows } = towers[dtype];
      const { image_embeds } = (await vision({ pixel_values })) as { image_embeds: Tensor };
      for (const image of unitRows(image_embeds)) probabilities[dtype].push(softmax(promptRows.map((prompt) => CLIP_LOGIT_SCALE * dot(image, prompt))));
    }
  }
  for (const { text, vision } of Object.values(towers)) {
    await text.dispose();
    await vision.dispose();
  }

  let agree = 0;
  let maxAbs = 0;
  let sumAbs = 0;
  const correct = { fp32: 0, q8: 0 };
  items.forEach((item, index) => {
    const [p32, p8] = [probabilities.fp32[index] as number[], probabilities.q8[index] as number[]];
    const [top32, top8] = [argmaxAt(p32, 0, p32.length), argmaxAt(p8, 0, p8.length)];
    if (top32 === top8) agree++;
    const truth = item.colour * shapes.length + item.shape;
    if (top32 === truth) correct.fp32++;
    if (top8 === truth) correct.q8++;
    p32.forEach((p, label) => {
      const diff = Math.abs(p - (p8[label] as number));
      maxAbs = Math.max(maxAbs, diff);
      sumAbs += diff;
    });
  });
  return {
    images: items.length,
    labels: prompts.length,
    template: TEMPLATE,
    top1Agreement: agree / items.length,
    disagreements: items.length - agree,
    maxAbsProbDiff: maxAbs,
    meanAbsProbDiff: sumAbs / (items.length * prompts.length),
    accuracy: { fp32: correct.fp32 / items.length, q8: correct.q8 / items.length },
    seconds: (performance.now() - started) / 1000,
  };
}
