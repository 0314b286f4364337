import * as ort from 'onnxruntime-node';
import { randomPixels } from '../shared/random';

export interface NativeThroughput {
  imagesPerSecond: number[];
  intraOpNumThreads: number;
  ortVersion: string;
}

/**
 * Images per second of a vision tower under onnxruntime-node (CPU), with the same input shape,
 * the same pixel values and the same timing loop as the browser measurement.
 */
export async function nativeVisionThroughput(options: {
  modelPath: string;
  inputDims: number[];
  threads: number;
  minSeconds: number;
  reps: number;
  warmupRuns: number;
}): Promise<NativeThroughput> {
  const { modelPath, inputDims, threads, minSeconds, reps, warmupRuns } = options;
  const session = await ort.InferenceSession.create(modelPath, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const batch = inputDims[0] as number;
  const length = inputDims.reduce((a, b) => a * b, 1);
  const feeds = { [session.inputNames[0] as string]: new ort.Tensor('float32', randomPixels(length, 1234), inputDims) };
  for (let i = 0; i < warmupRuns; i++) await session.run(feeds);
  const imagesPerSecond: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    let runs = 0;
    const started = performance.now();
    while (runs < 2 || performance.now() - started < minSeconds * 1000) {
      await session.run(feeds);
      runs++;
    }
    imagesPerSecond.push((runs * batch * 1000) / (performance.now() - started));
  }
  await session.release();
  return { imagesPerSecond, intraOpNumThreads: threads, ortVersion: ort.env.versions.node ?? 'unknown' };
}
