/// <reference lib="webworker" />
import { env } from '@huggingface/transformers';

/**
 * The GPUDevice onnxruntime-web's WebGPU backend runs on, once a WebGPU session exists in this
 * worker (ORT's `env.webgpu.device`). Null before that: reading the property earlier would make
 * ORT create a device of its own, which is not what any session uses.
 */
export async function ortGpuDevice(): Promise<GPUDevice | null> {
  const webgpu = env.backends.onnx.webgpu;
  if (!webgpu) return null;
  try {
    return await webgpu.device;
  } catch {
    return null;
  }
}
