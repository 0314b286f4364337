import { CLIP_LOGIT_SCALE, type ScoringRule } from '../../../lib/scoring';
import { BUILTIN_AUDIO_MODEL_ID, BUILTIN_MODEL_ID, type Task } from '../../../lib/tasks';
import type { DtypePreference, ModelDtype, ModelFamily } from '../../../lib/workerReports';



interface CatalogEntryBase {
  id: string;
  title: string;
  /** Built-in models ship with the app under /models/; the rest come from the Hub or a mirror. */
  builtin: boolean;
  /** The dtypes whose ONNX files the repository has for every session. */
  dtypes: readonly ModelDtype[];
  note: string;
}

export interface AudioCatalogModel extends CatalogEntryBase {
  task: 'audio';
  family: 'whisper' | 'clap';
  /**
   * Whisper: multilingual checkpoints read `<|startoftranscript|><|en|><|transcribe|><|notimestamps|>`;
   * English-only (`.en`) ones were trained with `<|startoftranscript|><|notimestamps|>` only.
   */
  multilingual: boolean;
  /** CLAP: the scale applied to cosine similarities before the softmax. */
  logitScale?: number;
}

export type CatalogModel = ImageCatalogModel | AudioCatalogModel;

export interface ImageCatalogModel extends CatalogEntryBase {
  task: 'image';
  family: 'clip' | 'siglip';
  scoring: ScoringRule;
  /** Tokenizer padding the model was trained with (SigLIP needs a fixed length). */
  textPadding: 'longest' | 'max_length';
  /** MobileCLIP's vision tower loses accuracy when quantised, so it is kept in full precision. */
  visionNeverQuantized?: boolean;
}


export const IMAGE_MODEL_CATALOG: readonly ImageCatalogModel[] = [
  {
    id: BUILTIN_MODEL_ID,
    title: 'Built-in CLIP (shapes and colours)',
    task: 'image',
    family: 'clip',
    builtin: true,
    // onnx/*_quantized.onnx written by tools/quantize_dynamic_q8.py (checked by tools/check_q8_models.mjs).
    dtypes: ['fp32', 'q8'],
    scoring: { kind: 'softmax', logitScale: CLIP_LOGIT_SCALE },
    textPadding: 'longest',
    note: 'Ships with the app, works offline. Knows solid shapes (circle, square, triangle, star, cross) in six colours.',
  },
  {
    id: 'Xenova/clip-vit-base-patch32',
    title: 'CLIP ViT-B/32 (OpenAI)',
    task: 'image',
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
    task: 'image',
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
    task: 'image',
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

/** CLAP's contrastive temperature 1/0.07, its configured initial scale; the trained value is not published in the ONNX export. */
export const CLAP_LOGIT_SCALE = 1 / 0.07;

export const AUDIO_MODEL_CATALOG: readonly AudioCatalogModel[] = [
  {
    id: BUILTIN_AUDIO_MODEL_ID,
    title: 'Built-in Whisper (ten spoken words)',
    task: 'audio',
    family: 'whisper',
    builtin: true,
    multilingual: true,
    dtypes: ['fp32', 'q8'],
    note: 'Ships with the app, works offline. A small Whisper trained here on synthetic speech: yes, no, up, down, left, right, on, off, stop, go.',
  },
  {
    id: 'Xenova/whisper-tiny.en',
    title: 'Whisper tiny.en (OpenAI)',
    task: 'audio',
    family: 'whisper',
    builtin: false,
    multilingual: false,
    dtypes: ['fp32', 'fp16', 'q8'],
    note: 'Zero-shot scoring by the decoder’s likelihood of each label. English-only.',
  },
  {
    id: 'Xenova/whisper-base',
    title: 'Whisper base (OpenAI)',
    task: 'audio',
    family: 'whisper',
    builtin: false,
    multilingual: true,
    dtypes: ['fp32', 'fp16', 'q8'],
    note: 'Larger multilingual Whisper; Ma et al. found zero-shot ability grows with size.',
  },
  {
    id: 'Xenova/clap-htsat-unfused',
    title: 'CLAP HTSAT unfused (LAION)',
    task: 'audio',
    family: 'clap',
    builtin: false,
    multilingual: false,
    logitScale: CLAP_LOGIT_SCALE,
    dtypes: ['fp32', 'fp16', 'q8'],
    note: 'Contrastive audio–text embeddings: each clip is embedded once, label edits re-rank instantly.',
  },
  {
    id: 'Xenova/larger_clap_general',
    title: 'CLAP larger, general (LAION)',
    task: 'audio',
    family: 'clap',
    builtin: false,
    multilingual: false,
    logitScale: CLAP_LOGIT_SCALE,
    dtypes: ['fp32', 'fp16', 'q8'],
    note: 'Larger CLAP trained on general sounds, music and speech.',
  },
];

export const CATALOGS: Record<Task, readonly CatalogModel[]> = { image: IMAGE_MODEL_CATALOG, audio: AUDIO_MODEL_CATALOG };

/** A hub id the catalog doesn't know is assumed to be a CLIP export in the Xenova layout. */
export function imageCatalogEntryFor(id: string): ImageCatalogModel {
  return (
    IMAGE_MODEL_CATALOG.find((model) => model.id === id) ?? {
      id,
      title: id,
      task: 'image',
      family: 'clip',
      builtin: id.startsWith('builtin/'),
      dtypes: ['fp32'],
      scoring: { kind: 'softmax', logitScale: CLIP_LOGIT_SCALE },
      textPadding: 'longest',
      note: 'Custom model: loaded as a CLIP export (onnx/text_model.onnx and onnx/vision_model.onnx).',
    }
  );
}

/** An unknown audio id is taken as Whisper unless its name says CLAP; the config decides at load time. */
export function audioCatalogEntryFor(id: string): AudioCatalogModel {
  const known = AUDIO_MODEL_CATALOG.find((model) => model.id === id);
  if (known) return known;
  const clap = /clap/i.test(id);
  return {
    id,
    title: id,
    task: 'audio',
    family: clap ? 'clap' : 'whisper',
    builtin: id.startsWith('builtin/'),
    multilingual: !/\.en$/.test(id),
    ...(clap ? { logitScale: CLAP_LOGIT_SCALE } : {}),
    dtypes: ['fp32'],
    note: clap
      ? 'Custom model: loaded as a CLAP export (onnx/text_model.onnx and onnx/audio_model.onnx).'
      : 'Custom model: loaded as a Whisper export (onnx/encoder_model.onnx and onnx/decoder_model_merged.onnx).',
  };
}

export function catalogEntryFor(task: Task, id: string): CatalogModel {
  return task === 'image' ? imageCatalogEntryFor(id) : audioCatalogEntryFor(id);
}

/** transformers.js file-name suffixes per dtype, for listing what a load will download. */
export const DTYPE_FILE_SUFFIX: Record<ModelDtype, string> = { fp32: '', fp16: '_fp16', q8: '_quantized' };
/** The ONNX sessions each family loads, by file stem under `onnx/`. */
const SESSION_FILES: Record<ModelFamily, readonly string[]> = {
  clip: ['text_model', 'vision_model'],
  siglip: ['text_model', 'vision_model'],
  whisper: ['encoder_model', 'decoder_model_merged'],
  clap: ['text_model', 'audio_model'],
};
export const CONFIG_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'preprocessor_config.json'] as const;

/**
 * The user's choice when the repository has those files; otherwise (and for `auto`): WebGPU: fp16
 * where the adapter has shader-f16, else fp32 (ORT-web's WebGPU provider has no MatMulInteger /
 * DynamicQuantizeLinear kernels, so q8 there would run those nodes on the CPU); WASM: 8-bit weights
 * where the repository has them (both built-ins do).
 */
export function chooseDtype(
  entry: CatalogModel,
  backend: 'webgpu' | 'wasm',
  adapterHasF16: boolean,
  preference: DtypePreference = 'auto',
): ModelDtype {
  if (preference !== 'auto' && entry.dtypes.includes(preference)) return preference;
  if (backend === 'webgpu') return adapterHasF16 && entry.dtypes.includes('fp16') ? 'fp16' : 'fp32';
  return entry.dtypes.includes('q8') ? 'q8' : 'fp32';
}

/** The dtype of one session: MobileCLIP's vision tower stays in full precision. */
export function sessionDtype(entry: CatalogModel, session: string, dtype: ModelDtype): ModelDtype {
  const keepFullPrecision = entry.task === 'image' && entry.visionNeverQuantized && session === 'vision_model';
  return keepFullPrecision && dtype === 'q8' ? 'fp32' : dtype;
}

/** The repository files a load downloads for this dtype, in the Hub layout. */
export function filesToDownload(entry: CatalogModel, dtype: ModelDtype): string[] {
  return [
    ...CONFIG_FILES,
    ...(entry.family === 'whisper' ? ['generation_config.json'] : []),
    ...SESSION_FILES[entry.family].map((session) => `onnx/${session}${DTYPE_FILE_SUFFIX[sessionDtype(entry, session, dtype)]}.onnx`),
  ];
}
