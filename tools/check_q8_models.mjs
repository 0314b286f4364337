// Checks the q8 files written by tools/quantize_dynamic_q8.py against their fp32 sources on
// onnxruntime-node (the outside reference: ORT's own MatMulInteger / ConvInteger /
// DynamicQuantizeLinear kernels): both load and run, have the same inputs and outputs, and give
// close embeddings (per-row cosine similarity and max |Δ| printed; exit code 1 below the bar).
//   node tools/check_q8_models.mjs <model dir> [--min-cosine 0.99]
// <model dir> holds tokenizer.json and onnx/{vision,text}_model{,_quantized}.onnx.
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { AutoTokenizer } from '@huggingface/transformers';
import { parseArgs, useLocalModels } from './eval_common.mjs';

const dir = process.argv[2];
if (!dir || dir.startsWith('--')) throw new Error('usage: node tools/check_q8_models.mjs <model dir> [--min-cosine 0.99]');
const args = parseArgs(process.argv.slice(3));
const minCosine = Number(args['min-cosine'] ?? 0.99);
const BATCH = 4;

/** Deterministic standard-normal values (Box–Muller on a 32-bit LCG). */
function normals(count, seed) {
  let state = seed >>> 0;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 4294967296;
  };
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return out;
}

function rowsCompare(a, b, dims) {
  const [rows, width] = [dims[0], dims.slice(1).reduce((x, y) => x * y, 1)];
  let maxAbs = 0;
  const cosines = [];
  for (let r = 0; r < rows; r++) {
    let dot = 0, na = 0, nb = 0;
    for (let i = r * width; i < (r + 1) * width; i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
      maxAbs = Math.max(maxAbs, Math.abs(a[i] - b[i]));
    }
    cosines.push(dot / Math.sqrt(na * nb));
  }
  return { maxAbs, minCosine: Math.min(...cosines) };
}

async function feedsFor(session, name) {
  const meta = session.inputMetadata?.[0];
  const inputName = session.inputNames[0];
  if (name === 'vision_model') {
    const preprocessor = JSON.parse(fs.readFileSync(path.join(dir, 'preprocessor_config.json'), 'utf8'));
    const crop = preprocessor.crop_size;
    const side = typeof crop === 'number' ? crop : crop.height;
    const dims = [BATCH, 3, side, side];
    return { [inputName]: new ort.Tensor('float32', normals(dims.reduce((x, y) => x * y, 1), 1234), dims) };
  }
  useLocalModels(path.dirname(path.resolve(dir)));
  const tokenizer = await AutoTokenizer.from_pretrained(path.basename(path.resolve(dir)));
  const prompts = ['a photo of a red circle.', 'a photo of a blue square.', 'a green triangle', 'a photo of a yellow star.'];
  const { input_ids } = tokenizer(prompts, { padding: true, truncation: true });
  void meta;
  return { [inputName]: new ort.Tensor('int64', input_ids.data, input_ids.dims) };
}

let failed = false;
for (const name of ['vision_model', 'text_model']) {
  const fp32Path = path.join(dir, 'onnx', `${name}.onnx`);
  const q8Path = path.join(dir, 'onnx', `${name}_quantized.onnx`);
  if (!fs.existsSync(fp32Path) || !fs.existsSync(q8Path)) {
    console.log(`${name}: skipped (no ${fs.existsSync(fp32Path) ? q8Path : fp32Path})`);
    continue;
  }
  const options = { executionProviders: ['cpu'], intraOpNumThreads: 1, graphOptimizationLevel: 'all' };
  const fp32 = await ort.InferenceSession.create(fp32Path, options);
  const q8 = await ort.InferenceSession.create(q8Path, options);
  const sameIo = JSON.stringify([fp32.inputNames, fp32.outputNames]) === JSON.stringify([q8.inputNames, q8.outputNames]);
  const feeds = await feedsFor(fp32, name);
  const [a, b] = [await fp32.run(feeds), await q8.run(feeds)];
  for (const output of fp32.outputNames) {
    const { maxAbs, minCosine: cosine } = rowsCompare(a[output].data, b[output].data, a[output].dims);
    const sameDims = JSON.stringify(a[output].dims) === JSON.stringify(b[output].dims);
    const ok = sameIo && sameDims && cosine >= minCosine;
    failed ||= !ok;
    console.log(
      `${name} ${output} ${JSON.stringify(a[output].dims)}: q8 vs fp32 on onnxruntime-node ${ort.env.versions?.node ?? ''}: ` +
        `min row cosine ${cosine.toFixed(6)}, max |Δ| ${maxAbs.toExponential(3)}, same inputs/outputs ${sameIo}, ` +
        `${(fs.statSync(fp32Path).size / 1e6).toFixed(2)} MB -> ${(fs.statSync(q8Path).size / 1e6).toFixed(2)} MB ${ok ? 'OK' : 'FAIL'}`,
    );
  }
  await fp32.release();
  await q8.release();
}
process.exitCode = failed ? 1 : 0;
