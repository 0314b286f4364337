/**
 * An independent Node reference for the app's scores: onnxruntime-node runs the built-in model's
 * ONNX towers on exactly the tensors the app fed its own vision model (from the debug API) and on
 * the prompts tokenised here with transformers.js's AutoTokenizer (local files only); scores are
 * softmax over 100·cos(image, text), as for CLIP.
 */
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { MODELS_ROOT } from './hub-server';

export { MODELS_ROOT };
export const BUILTIN_MODEL_ID = 'builtin/clip-shapes';
export const CLIP_LOGIT_SCALE = 100;

export interface TensorLike {
  dims: readonly number[];
  data: ArrayLike<number>;
}

type Tokenizer = Awaited<ReturnType<typeof AutoTokenizer.from_pretrained>>;

function l2Normalize(v: Float32Array | number[]): number[] {
  let sum = 0;
  for (const x of v) sum += x * x;
  const norm = Math.sqrt(sum);
  return Array.from(v, (x) => (norm > 0 ? x / norm : 0));
}

function rows(data: Float32Array, dims: readonly number[]): number[][] {
  const [n, d] = dims as [number, number];
  return Array.from({ length: n }, (_, i) => l2Normalize(data.subarray(i * d, (i + 1) * d)));
}

export function softmax(logits: readonly number[]): number[] {
  const max = Math.max(...logits);
  const exps = logits.map((x) => Math.exp(x - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((x) => x / total);
}

export function cosine(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export class ClipReference {
  private constructor(
    readonly modelId: string,
    private readonly vision: ort.InferenceSession,
    private readonly text: ort.InferenceSession,
    private readonly tokenizer: Tokenizer,
  ) {}

  /** `dtype` q8 reads onnx/*_quantized.onnx, as transformers.js does for `dtype: 'q8'`. */
  static async load(modelId = BUILTIN_MODEL_ID, modelsRoot = MODELS_ROOT, dtype: 'fp32' | 'fp16' | 'q8' = 'fp32'): Promise<ClipReference> {
    const dir = join(modelsRoot, modelId);
    env.localModelPath = modelsRoot + '/';
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    const tokenizer = await AutoTokenizer.from_pretrained(modelId, { local_files_only: true });
    const options: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };
    const suffix = { fp32: '', fp16: '_fp16', q8: '_quantized' }[dtype];
    const vision = await ort.InferenceSession.create(join(dir, 'onnx', `vision_model${suffix}.onnx`), options);
    const text = await ort.InferenceSession.create(join(dir, 'onnx', `text_model${suffix}.onnx`), options);
    return new ClipReference(modelId, vision, text, tokenizer);
  }

  get visionInput(): { name: string } {
    return { name: this.vision.inputNames[0]! };
  }

  /** Unit image embeddings for a [N, 3, H, W] float tensor. */
  async embedImages(pixelValues: TensorLike): Promise<number[][]> {
    const input = new ort.Tensor('float32', Float32Array.from(pixelValues.data), [...pixelValues.dims]);
    const out = await this.vision.run({ [this.vision.inputNames[0]!]: input });
    const output = pickOutput(out, this.vision.outputNames, 'image_embeds');
    return rows(output.data as Float32Array, output.dims);
  }

  /** Token ids as the app's tokenizer should produce them (padding to the longest prompt). */
  tokenize(prompts: readonly string[]): { input_ids: ort.Tensor; attention_mask: ort.Tensor } {
    const encoded = this.tokenizer([...prompts], { padding: true, truncation: true }) as unknown as Record<
      'input_ids' | 'attention_mask',
      { data: BigInt64Array; dims: number[] }
    >;
    const toOrt = (t: { data: BigInt64Array; dims: number[] }) => new ort.Tensor('int64', BigInt64Array.from(t.data), [...t.dims]);
    return { input_ids: toOrt(encoded.input_ids), attention_mask: toOrt(encoded.attention_mask) };
  }

  /** Unit text embeddings, one per prompt. */
  async embedTexts(prompts: readonly string[]): Promise<number[][]> {
    const tokens = this.tokenize(prompts);
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of this.text.inputNames) {
      if (name === 'input_ids' || name === 'attention_mask') feeds[name] = tokens[name];
      else throw new Error(`text model input ${name} is not supported by the reference`);
    }
    const out = await this.text.run(feeds);
    const output = pickOutput(out, this.text.outputNames, 'text_embeds');
    return rows(output.data as Float32Array, output.dims);
  }

  /** Softmax over 100·cos for one image embedding against each text embedding, in prompt order. */
  static scores(image: readonly number[], texts: readonly (readonly number[])[], logitScale = CLIP_LOGIT_SCALE): number[] {
    return softmax(texts.map((t) => logitScale * cosine(image, t)));
  }

  async release(): Promise<void> {
    await this.vision.release();
    await this.text.release();
  }
}

function pickOutput(out: ort.InferenceSession.OnnxValueMapType, names: readonly string[], preferred: string): ort.Tensor {
  const name = names.includes(preferred) ? preferred : names[0]!;
  const tensor = out[name];
  if (!tensor) throw new Error(`model produced no ${name} output`);
  if (tensor.dims.length !== 2) throw new Error(`${name}: expected [N, D], got [${tensor.dims.join(', ')}]`);
  return tensor;
}
