import {
  AutoConfig,
  AutoFeatureExtractor,
  AutoTokenizer,
  ClapAudioModelWithProjection,
  ClapTextModelWithProjection,
  WhisperForConditionalGeneration,
  type FeatureExtractor,
  type ProgressInfo,
  type PreTrainedTokenizer,
} from '@huggingface/transformers';
import { audioCatalogEntryFor, chooseDtype, type AudioCatalogModel } from '../../models/shared';
import type { LoadModelRequest } from '../../models/shared';
import type { FileProgress, LoadedModelInfo } from '../../../lib/workerReports';
import { ModelLoadError, loadWithBackendFallback } from '../../models/worker';
import { ClapScorer } from './clapScorer';
import type { AudioScorer } from './audioScorer';
import { WhisperScorer } from './whisperScorer';

export interface LoadedAudio {
  entry: AudioCatalogModel;
  scorer: AudioScorer;
  info: LoadedModelInfo;
  sourceKey: string;
}

/** The family the model's own config declares (a custom id or a picked folder may be either). */
async function familyOf(modelId: string, onProgress: (event: ProgressInfo) => void): Promise<AudioCatalogModel['family']> {
  const config = await AutoConfig.from_pretrained(modelId, { progress_callback: onProgress });
  const modelType: unknown = config.model_type;
  if (modelType === 'whisper' || modelType === 'clap') return modelType;
  throw new ModelLoadError('invalid-model', `${modelId} is a "${String(modelType)}" model; the audio view runs Whisper and CLAP models.`);
}

/** Loads a Whisper or CLAP model on WebGPU or WASM (shared fallback), then warms it up on a short silent clip. */
export async function loadAudio(request: LoadModelRequest, reportFiles: (files: FileProgress[]) => void): Promise<LoadedAudio> {
  const guess = audioCatalogEntryFor(request.modelId);
  return loadWithBackendFallback('audio', request, reportFiles, async (backend, adapter, tracker) => {
    const started = performance.now();
    const entry: AudioCatalogModel = { ...guess, family: await familyOf(request.modelId, tracker.onProgress) };
    const dtype = chooseDtype(entry, backend, adapter?.features.has('shader-f16') ?? false, request.dtype);
    const options = { device: backend, dtype, progress_callback: tracker.onProgress } as const;
    const [tokenizer, featureExtractor] = await Promise.all([
      AutoTokenizer.from_pretrained(request.modelId, { progress_callback: tracker.onProgress }),
      AutoFeatureExtractor.from_pretrained(request.modelId, { progress_callback: tracker.onProgress }),
    ]);
    const scorer = await createScorer(entry, request.modelId, tokenizer, featureExtractor, options);
    const loadMs = performance.now() - started;
    // Warm-up compiles kernels (and on WebGPU surfaces a broken device) before we claim to be ready.
    const warmupStarted = performance.now();
    await scorer.warmUp();
    const warmupMs = performance.now() - warmupStarted;
    return { entry, scorer, dtype, family: entry.family, loadMs, warmupMs };
  });
}

async function createScorer(
  entry: AudioCatalogModel,
  modelId: string,
  tokenizer: PreTrainedTokenizer,
  featureExtractor: FeatureExtractor,
  options: Parameters<typeof WhisperForConditionalGeneration.from_pretrained>[1],
): Promise<AudioScorer> {
  if (entry.family === 'whisper') {
    const model = await WhisperForConditionalGeneration.from_pretrained(modelId, options);
    if (!(model instanceof WhisperForConditionalGeneration)) throw new ModelLoadError('invalid-model', `${modelId} did not load as a Whisper model.`);
    return new WhisperScorer(model, tokenizer, featureExtractor, entry.multilingual);
  }
  const [textModel, audioModel] = await Promise.all([
    ClapTextModelWithProjection.from_pretrained(modelId, options),
    ClapAudioModelWithProjection.from_pretrained(modelId, options),
  ]);
  return new ClapScorer(textModel, audioModel, tokenizer, featureExtractor, entry.logitScale ?? 1);
}

export async function disposeAudio(model: LoadedAudio): Promise<void> {
  await model.scorer.dispose();
}
