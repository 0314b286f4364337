/**
 * Which `model_type`s (config.json) each task's worker can run, checked before any weights
 * download: an audio repository picked in the image view is refused with a sentence that says what
 * it is, instead of a download and an ONNX error about missing inputs.
 */
import type { Task } from '../../../lib/tasks';

/** Audio model types transformers.js knows, with what to call them. */
const AUDIO_MODEL_TYPES: Readonly<Record<string, string>> = {
  whisper: 'a speech model',
  moonshine: 'a speech model',
  wav2vec2: 'a speech model',
  'wav2vec2-bert': 'a speech model',
  hubert: 'a speech model',
  wavlm: 'a speech model',
  unispeech: 'a speech model',
  'unispeech-sat': 'a speech model',
  speecht5: 'a speech model',
  clap: 'an audio model',
  'audio-spectrogram-transformer': 'an audio model',
  encodec: 'an audio model',
};

/** Image–text model types (the image view's) and plain vision ones. */
const IMAGE_MODEL_TYPES: Readonly<Record<string, string>> = {
  clip: 'an image model',
  siglip: 'an image model',
  chinese_clip: 'an image model',
  clipseg: 'an image model',
  owlvit: 'an image model',
  vit: 'an image model',
  dinov2: 'an image model',
};

/** The model types the audio worker runs (it picks its scorer by them). */
const AUDIO_TASK_TYPES: ReadonlySet<string> = new Set(['whisper', 'clap']);

/**
 * Why a model with this config can't run in this task's view, in a sentence; null when it can (or
 * when the config does not say: the image view then tries it as a CLIP export, as before).
 */
export function modelKindMismatch(task: Task, modelId: string, modelType: unknown): string | null {
  if (typeof modelType !== 'string') return task === 'audio' ? `${modelId}'s config.json does not say what kind of model it is (no model_type).` : null;
  if (task === 'image') {
    const audioKind = AUDIO_MODEL_TYPES[modelType];
    return audioKind
      ? `${modelId} is ${audioKind} ("${modelType}"), not an image model: open it in the audio view, or pick a CLIP or SigLIP model here.`
      : null;
  }
  if (AUDIO_TASK_TYPES.has(modelType)) return null;
  const imageKind = IMAGE_MODEL_TYPES[modelType];
  return imageKind
    ? `${modelId} is ${imageKind} ("${modelType}"), not an audio model: open it in the image view, or pick a Whisper or CLAP model here.`
    : `${modelId} is a "${modelType}" model; the audio view runs Whisper and CLAP models.`;
}
