import { describe, expect, it } from 'vitest';
import { BUILTIN_AUDIO_MODEL_ID, BUILTIN_MODEL_ID } from '../../../lib/tasks';
import { audioCatalogEntryFor, chooseDtype, filesToDownload, imageCatalogEntryFor } from './catalog';

const clip = imageCatalogEntryFor(BUILTIN_MODEL_ID);
const whisper = audioCatalogEntryFor(BUILTIN_AUDIO_MODEL_ID);

describe('the built-in models’ dtype choice', () => {
  it('picks the 8-bit files on WASM by itself, and downloads only those ONNX files', () => {
    expect(chooseDtype(clip, 'wasm', false)).toBe('q8');
    expect(chooseDtype(whisper, 'wasm', false)).toBe('q8');
    expect(filesToDownload(clip, 'q8').filter((f) => f.endsWith('.onnx'))).toEqual(['onnx/text_model_quantized.onnx', 'onnx/vision_model_quantized.onnx']);
    expect(filesToDownload(whisper, 'q8').filter((f) => f.endsWith('.onnx'))).toEqual([
      'onnx/encoder_model_quantized.onnx',
      'onnx/decoder_model_merged_quantized.onnx',
    ]);
  });

  it('keeps fp32 on WebGPU (no fp16 files), with or without shader-f16', () => {
    expect(chooseDtype(clip, 'webgpu', true)).toBe('fp32');
    expect(chooseDtype(whisper, 'webgpu', false)).toBe('fp32');
  });

  it('loads fp32 when chosen, on either backend, and the plan lists the fp32 files', () => {
    expect(chooseDtype(clip, 'wasm', false, 'fp32')).toBe('fp32');
    expect(chooseDtype(whisper, 'wasm', false, 'fp32')).toBe('fp32');
    expect(filesToDownload(whisper, 'fp32').filter((f) => f.endsWith('.onnx'))).toEqual(['onnx/encoder_model.onnx', 'onnx/decoder_model_merged.onnx']);
    expect(chooseDtype(clip, 'webgpu', false, 'q8')).toBe('q8');
  });

  it('falls back to the automatic rule when the model lacks the chosen files', () => {
    expect(chooseDtype(clip, 'wasm', false, 'fp16')).toBe('q8');
    expect(chooseDtype(imageCatalogEntryFor('someone/custom-clip'), 'wasm', false, 'q8')).toBe('fp32');
  });
});
