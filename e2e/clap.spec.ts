/**
 * The CLAP path, end to end, with a tiny random-weight model that has CLAP's interface
 * (e2e/fixtures/models/clap-tiny, made by tools/make_clap_models.py; the real CLAP can't be
 * downloaded here). Its rankings mean nothing, so this checks the plumbing against a Node
 * reference instead: 48 kHz features, each clip embedded once, label edits re-run only the text
 * tower, and scores equal onnxruntime-node's on the same ONNX files and features.
 */
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { test, expect } from './support/test';
import { fixture } from './support/audio-fixtures';
import { HubServer, REPO_ROOT } from './support/hub-server';

const CLAP_TINY_DIR = join(REPO_ROOT, 'e2e', 'fixtures', 'models', 'clap-tiny');
const MODEL_ID = 'test-org/clap-tiny';
/** The scale the app applies to CLAP cosines (1/0.07). */
const CLAP_LOGIT_SCALE = 1 / 0.07;

function unit(values: ArrayLike<number>): number[] {
  const norm = Math.sqrt(Array.from(values).reduce((s, x) => s + x * x, 0));
  return Array.from(values, (x) => x / norm);
}

async function referenceScores(features: { dims: number[]; data: number[] }, prompts: string[]): Promise<number[]> {
  env.localModelPath = join(REPO_ROOT, 'e2e', 'fixtures', 'models') + '/';
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  const tokenizer = await AutoTokenizer.from_pretrained('clap-tiny', { local_files_only: true });
  const audioSession = await ort.InferenceSession.create(join(CLAP_TINY_DIR, 'onnx', 'audio_model.onnx'));
  const textSession = await ort.InferenceSession.create(join(CLAP_TINY_DIR, 'onnx', 'text_model.onnx'));
  try {
    const { audio_embeds } = await audioSession.run({ input_features: new ort.Tensor('float32', Float32Array.from(features.data), features.dims) });
    const audioEmbedding = unit(audio_embeds!.data as Float32Array);
    const scores: number[] = [];
    for (const prompt of prompts) {
      const encoded = tokenizer([prompt], { padding: true, truncation: true }) as unknown as Record<string, { data: BigInt64Array; dims: number[] }>;
      const feeds: Record<string, ort.Tensor> = {};
      for (const name of textSession.inputNames) feeds[name] = new ort.Tensor('int64', BigInt64Array.from(encoded[name]!.data), encoded[name]!.dims);
      const { text_embeds } = await textSession.run(feeds);
      const textEmbedding = unit(text_embeds!.data as Float32Array);
      scores.push(CLAP_LOGIT_SCALE * textEmbedding.reduce((s, x, i) => s + x * audioEmbedding[i]!, 0));
    }
    return scores;
  } finally {
    await audioSession.release();
    await textSession.release();
  }
}

test('a CLAP model embeds each clip once, re-ranks label edits with the text tower only, and matches a Node reference', async ({ audio }) => {
  const hub = await HubServer.start({ [MODEL_ID]: CLAP_TINY_DIR });
  try {
    await audio.open({ model: MODEL_ID, hub: hub.url, backend: 'wasm', debug: true });
    await audio.expectModelReady({ backend: 'wasm', model: MODEL_ID });
    const labels = ['dog barking', 'rain', 'speech'];
    const files = [fixture('left.wav'), fixture('stop.ogg')];
    await audio.classify(files, labels);
    for (const file of files) await expect(audio.transcript(file.name), 'CLAP does not transcribe').toHaveCount(0);

    const before = await audio.audioStats();
    expect(before.clipsEncoded).toBe(2);
    const edited = [...labels, 'music'];
    await audio.setLabels(edited);
    for (const file of files) await audio.waitForPredictionLabels(file.name, edited);
    const after = await audio.audioStats();
    expect(after.encoderRuns, 'no audio re-embedding after a label edit').toBe(before.encoderRuns);
    expect(after.decoderRuns).toBe(0);

    const { features, prompts, rawScores } = await audio.debugAudio('left.wav');
    expect(features.dims).toEqual([1, 1, 1001, 64]);
    const expected = await referenceScores(features, prompts);
    expect(Math.max(...expected.map((value, i) => Math.abs(value - rawScores[i]!)))).toBeLessThan(1e-3);
  } finally {
    await hub.stop();
  }
});
