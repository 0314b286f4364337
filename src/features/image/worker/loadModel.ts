import {
  AutoImageProcessor,
  AutoTokenizer,
  CLIPTextModelWithProjection,
  CLIPVisionModelWithProjection,
  RawImage,
  SiglipTextModel,
  SiglipVisionModel,
  type ImageProcessor,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  type Tensor,
} from '@huggingface/transformers';
import { chooseDtype, imageCatalogEntryFor, sessionDtype, type ImageCatalogModel } from '../../models/shared';
import type { LoadModelRequest } from '../../models/shared';
import type { FileProgress, LoadedModelInfo } from '../../../lib/workerReports';
import { loadWithBackendFallback } from '../../models/worker';

export { ModelLoadError } from '../../models/worker';

export interface LoadedClip {
  entry: ImageCatalogModel;
  tokenizer: PreTrainedTokenizer;
  imageProcessor: ImageProcessor;
  textModel: PreTrainedModel;
  visionModel: PreTrainedModel;
  info: LoadedModelInfo;
  sourceKey: string;
}

/** Side of the grey square used to warm the vision tower up before reporting ready. */
const WARMUP_IMAGE_SIDE_PX = 32;

/** Loads both towers on WebGPU (or WASM, with the shared fallback), then warms them up. */
export async function loadClip(request: LoadModelRequest, reportFiles: (files: FileProgress[]) => void): Promise<LoadedClip> {
  const entry = imageCatalogEntryFor(request.modelId);
  return loadWithBackendFallback('image', request, reportFiles, async (backend, adapter, tracker) => {
    const started = performance.now();
    const dtype = chooseDtype(entry, backend, adapter?.features.has('shader-f16') ?? false, request.dtype);
    const common = { device: backend, progress_callback: tracker.onProgress } as const;
    const TextModel = entry.family === 'siglip' ? SiglipTextModel : CLIPTextModelWithProjection;
    const VisionModel = entry.family === 'siglip' ? SiglipVisionModel : CLIPVisionModelWithProjection;
    const [tokenizer, imageProcessor, textModel, visionModel] = await Promise.all([
      AutoTokenizer.from_pretrained(request.modelId, { progress_callback: tracker.onProgress }),
      AutoImageProcessor.from_pretrained(request.modelId, { progress_callback: tracker.onProgress }),
      TextModel.from_pretrained(request.modelId, { ...common, dtype }),
      VisionModel.from_pretrained(request.modelId, { ...common, dtype: sessionDtype(entry, 'vision_model', dtype) }),
    ]);
    const loadMs = performance.now() - started;

    // Warm-up compiles kernels (and on WebGPU surfaces a broken device) before we claim to be ready.
    const warmupStarted = performance.now();
    await textModel(tokenizer(['warm up'], { padding: true, truncation: true }));
    const side = WARMUP_IMAGE_SIDE_PX;
    const grey = new RawImage(new Uint8ClampedArray(side * side * 3).fill(128), side, side, 3);
    const { pixel_values } = (await imageProcessor(grey)) as { pixel_values: Tensor };
    await visionModel({ pixel_values });
    const warmupMs = performance.now() - warmupStarted;
    return { entry, tokenizer, imageProcessor, textModel, visionModel, dtype, loadMs, warmupMs };
  });
}

export async function disposeClip(model: LoadedClip): Promise<void> {
  await Promise.allSettled([model.textModel.dispose(), model.visionModel.dispose()]);
}
