import { CLIP_LOGIT_SCALE, type ScoringRule } from '../../../lib/scoring';

/** Which pair of transformers.js classes loads the towers, and which output holds the embedding. */
export type ModelFamily = 'clip' | 'siglip';
export type ModelDtype = 'fp32' | 'fp16' | 'q8';

export interface CatalogModel {
  id: string;
  title: string;
  family: ModelFamily;
  /** Built-in models ship with the app under /models/; the rest come from the Hub or a mirror. */
  builtin: boolean;
  /** The dtypes whose ONNX files the repository has for both towers. */
  dtypes: readonly ModelDtype[];
  scoring: ScoringRule;
  /** Tokenizer padding the model was trained with (SigLIP needs a fixed length). */
  textPadding: 'longest' | 'max_length';
  /** MobileCLIP's vision tower loses accuracy when quantised, so it is kept in full precision. */
  visionNeverQuantized?: boolean;
  note: string;
}

export const BUILTIN_MODEL_ID = 'builtin/clip-shapes';
/** The app opens on the built-in model: it works offline and nothing downloads without the user's say. */
export const DEFAULT_MODEL_ID = BUILTIN_MODEL_ID;

export const MODEL_CATALOG: readonly CatalogModel[] = [
  {
    id: BUILTIN_MODEL_ID,
    title: 'Built-in CLIP (shapes and colours)',
    family: 'clip',
    builtin: true,
    dtypes: ['fp32'],
    scoring: { kind: 'softmax', logitScale: CLIP_LOGIT_SCALE },
    textPadding: 'longest',
    note: 'Ships with the app, works offline. Knows solid shapes (circle, square, triangle, star, cross) in six colours.',
  },
  {
    id: 'Xenova/clip-vit-base-patch32',
    title: 'CLIP ViT-B/32 (OpenAI)',
    family: 'clip',
    builtin: false,
    dtypes: ['fp32', 'fp16', 'q8'],
    scoring: { kind: 'softmax', logitScale: CLIP_LOGIT_SCALE },
    textPadding: 'longest',
    note: 'The original CLIP. General-purpose.',
  },
  {
    id: 'Xenova/mobileclip_s0',
    title: 'MobileCLIP S0 (Apple)',
    family: 'clip',
    builtin: false,
    dtypes: ['fp32', 'fp16', 'q8'],
    scoring: { kind: 'softmax', logitScale: CLIP_LOGIT_SCALE },
    textPadding: 'max_length',
    visionNeverQuantized: true,
    note: 'Small and fast; vision tower kept in full precision.',
  },
  {
    id: 'Xenova/siglip-base-patch16-224',
    title: 'SigLIP base/16 (Google)',
    family: 'siglip',
    builtin: false,
    dtypes: ['fp32', 'fp16', 'q8'],
    // SigLIP scores each label independently: sigmoid(scale·cos + bias). The two constants are the
    // trained values of google/siglip-base-patch16-224 (exp(logit_scale), logit_bias).
    scoring: { kind: 'sigmoid', logitScale: 117.33, logitBias: -12.93 },
    textPadding: 'max_length',
    note: 'Sigmoid scores: each label is judged on its own, so scores need not sum to 100%.',
  },
];

export function findCatalogModel(id: string): CatalogModel | undefined {
  return MODEL_CATALOG.find((model) => model.id === id);
}

/** A hub id the catalog doesn't know is assumed to be a CLIP export in the Xenova layout. */
export function catalogEntryFor(id: string): CatalogModel {
  return (
    findCatalogModel(id) ?? {
      id,
      title: id,
      family: 'clip',
      builtin: id.startsWith('builtin/'),
      dtypes: ['fp32'],
      scoring: { kind: 'softmax', logitScale: CLIP_LOGIT_SCALE },
      textPadding: 'longest',
      note: 'Custom model: loaded as a CLIP export (onnx/text_model.onnx and onnx/vision_model.onnx).',
    }
  );
}

/** transformers.js file-name suffixes per dtype, for listing what a load will download. */
export const DTYPE_FILE_SUFFIX: Record<ModelDtype, string> = { fp32: '', fp16: '_fp16', q8: '_quantized' };
export const TOWER_FILES = ['text_model', 'vision_model'] as const;
export const CONFIG_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'preprocessor_config.json'] as const;

/** WebGPU: fp16 where the adapter has shader-f16; WASM: 8-bit weights where the repository has them. */
export function chooseDtype(entry: CatalogModel, backend: 'webgpu' | 'wasm', adapterHasF16: boolean): ModelDtype {
  if (backend === 'webgpu') return adapterHasF16 && entry.dtypes.includes('fp16') ? 'fp16' : 'fp32';
  return entry.dtypes.includes('q8') ? 'q8' : 'fp32';
}

/** The repository files a load downloads for this dtype, in the Hub layout. */
export function filesToDownload(entry: CatalogModel, dtype: ModelDtype): string[] {
  const visionDtype: ModelDtype = entry.visionNeverQuantized && dtype === 'q8' ? 'fp32' : dtype;
  return [
    ...CONFIG_FILES,
    `onnx/text_model${DTYPE_FILE_SUFFIX[dtype]}.onnx`,
    `onnx/vision_model${DTYPE_FILE_SUFFIX[visionDtype]}.onnx`,
  ];
}
