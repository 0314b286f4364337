// Checks the q8 files written by tools/quantize_dynamic_q8.py against their fp32 sources on
// onnxruntime-node (the outside reference: ORT's own MatMulInteger / ConvInteger /
// DynamicQuantizeLinear kernels): both load and run, have the same inputs and outputs, and give
// close embeddings (per-row cosine similarity and max |Δ| printed; exit code 1 below the bar).
//   node tools/check_q8_models.mjs <model dir> [--min-cosine 0.99]
// <model dir> holds tokenizer.json and onnx/{vision,text}_model{,_quantized}.onnx (CLIP), or
// onnx/{encoder_model,decoder_model_merged}{,_quantized}.onnx (Whisper: the encoder's
// last_hidden_state on real speech from e2e/fixtures/audio, the merged decoder's logits in both `If`
// branches on the same encoder output, and end to end q8 encoder -> q8 decoder: the mean log-prob of
// each of the model's words, the app's score, and whether the best word is the same; `--max-logprob`
// (default 0.25) is the bar for |Δ mean log-prob|).
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { AutoFeatureExtractor, AutoTokenizer } from '@huggingface/transformers';
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
const whisper = fs.existsSync(path.join(dir, 'onnx', 'encoder_model.onnx'));
if (whisper) failed = await checkWhisper();
for (const name of whisper ? [] : ['vision_model', 'text_model']) {
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

/** 16-bit PCM WAV -> mono Float32Array at 16 kHz (linear interpolation; a check input, not the app's resampler). */
function readWav16k(file) {
  const buf = fs.readFileSync(file);
  let offset = 12, rate = 0, channels = 1, bits = 16, data = null;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('ascii', offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    if (id === 'fmt ') [channels, rate, bits] = [buf.readUInt16LE(offset + 10), buf.readUInt32LE(offset + 12), buf.readUInt16LE(offset + 22)];
    if (id === 'data') data = buf.subarray(offset + 8, offset + 8 + size);
    offset += 8 + size + (size % 2);
  }
  if (!data || bits !== 16) throw new Error(`${file}: expected 16-bit PCM`);
  const frames = data.length / 2 / channels;
  const mono = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += data.readInt16LE((i * channels + c) * 2) / 32768;
    mono[i] = sum / channels;
  }
  const out = new Float32Array(Math.floor((frames * 16000) / rate));
  for (let i = 0; i < out.length; i++) {
    const x = (i * rate) / 16000, k = Math.floor(x), f = x - k;
    out[i] = mono[k] * (1 - f) + (mono[Math.min(k + 1, frames - 1)] ?? 0) * f;
  }
  return out;
}

function logSoftmaxAt(row, token) {
  let max = -Infinity;
  for (const x of row) max = Math.max(max, x);
  let total = 0;
  for (const x of row) total += Math.exp(x - max);
  return row[token] - max - Math.log(total);
}

async function checkWhisper() {
  const maxLogProb = Number(args['max-logprob'] ?? 0.25);
  const options = { executionProviders: ['cpu'], intraOpNumThreads: 1, graphOptimizationLevel: 'all' };
  const file = (stem, q) => path.join(dir, 'onnx', `${stem}${q ? '_quantized' : ''}.onnx`);
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  const generation = JSON.parse(fs.readFileSync(path.join(dir, 'generation_config.json'), 'utf8'));
  const words = config.whisper_words?.words ?? ['yes', 'no'];
  const prompt = [generation.decoder_start_token_id, generation.lang_to_id['<|en|>'], generation.task_to_id.transcribe, generation.no_timestamps_token_id];
  const heads = config.decoder_attention_heads, headDim = config.d_model / heads;
  useLocalModels(path.dirname(path.resolve(dir)));
  const id = path.basename(path.resolve(dir));
  const tokenizer = await AutoTokenizer.from_pretrained(id);
  const extractor = await AutoFeatureExtractor.from_pretrained(id);
  const sessions = {};
  for (const q of [false, true]) {
    sessions[q ? 'q8' : 'fp32'] = {
      encoder: await ort.InferenceSession.create(file('encoder_model', q), options),
      decoder: await ort.InferenceSession.create(file('decoder_model_merged', q), options),
    };
  }
  const emptyPast = () => new ort.Tensor('float32', new Float32Array(0), [1, heads, 0, headDim]);
  async function decode(decoder, hidden, ids, past) {
    const feeds = { input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]), encoder_hidden_states: hidden };
    for (const name of decoder.inputNames) {
      if (name.startsWith('past_key_values.')) feeds[name] = past?.[name.replace('past_key_values', 'present')] ?? emptyPast();
      if (name === 'use_cache_branch') feeds[name] = new ort.Tensor('bool', [past !== undefined], [1]);
    }
    return decoder.run(feeds);
  }
  async function wordScores(s, hidden) {
    const scores = [];
    for (const word of words) {
      const label = tokenizer.encode(` ${word}`, { add_special_tokens: false });
      const { logits } = await decode(s.decoder, hidden, [...prompt, ...label]);
      const vocab = logits.dims[2];
      let sum = 0;
      label.forEach((token, k) => {
        const p = prompt.length + k - 1;
        sum += logSoftmaxAt(logits.data.subarray(p * vocab, (p + 1) * vocab), token);
      });
      scores.push(sum / label.length);
    }
    return scores;
  }
  const clips = ['left.wav', 'mic-up.wav', 'live-words.wav'].map((f) => path.join('e2e', 'fixtures', 'audio', f)).filter((f) => fs.existsSync(f));
  let failed = false;
  const report = (what, ok) => {
    failed ||= !ok;
    console.log(`${what} ${ok ? 'OK' : 'FAIL'}`);
  };
  for (const clip of clips) {
    const { input_features } = await extractor(readWav16k(clip));
    const features = new ort.Tensor('float32', input_features.data, input_features.dims);
    const [hFp32, hQ8] = [(await sessions.fp32.encoder.run({ input_features: features })).last_hidden_state, (await sessions.q8.encoder.run({ input_features: features })).last_hidden_state];
    const enc = rowsCompare(hFp32.data, hQ8.data, [hFp32.dims[1], hFp32.dims[2]]);
    report(`${path.basename(clip)} encoder last_hidden_state ${JSON.stringify(hFp32.dims)}: min row cosine ${enc.minCosine.toFixed(6)}, max |Δ| ${enc.maxAbs.toExponential(3)}`, enc.minCosine >= minCosine);
    // Decoder alone, both branches, on the fp32 encoder output: no-cache over prompt + " yes", then one cached step.
    const ids = [...prompt, ...tokenizer.encode(' yes', { add_special_tokens: false })];
    const [a, b] = [await decode(sessions.fp32.decoder, hFp32, ids), await decode(sessions.q8.decoder, hFp32, ids)];
    const noCache = rowsCompare(a.logits.data, b.logits.data, [a.logits.dims[1], a.logits.dims[2]]);
    report(`${path.basename(clip)} decoder logits, no-cache branch ${JSON.stringify(a.logits.dims)}: min row cosine ${noCache.minCosine.toFixed(6)}, max |Δ| ${noCache.maxAbs.toExponential(3)}`, noCache.minCosine >= minCosine);
    const step = [generation.eos_token_id ?? config.eos_token_id];
    const [c, d] = [await decode(sessions.fp32.decoder, hFp32, step, a), await decode(sessions.q8.decoder, hFp32, step, b)];
    const cache = rowsCompare(c.logits.data, d.logits.data, [c.logits.dims[1], c.logits.dims[2]]);
    report(`${path.basename(clip)} decoder logits, cache branch ${JSON.stringify(c.logits.dims)}: min row cosine ${cache.minCosine.toFixed(6)}, max |Δ| ${cache.maxAbs.toExponential(3)}`, cache.minCosine >= minCosine);
    // End to end, the app's score.
    const [sa, sb] = [await wordScores(sessions.fp32, hFp32), await wordScores(sessions.q8, hQ8)];
    const worst = Math.max(...sa.map((v, i) => Math.abs(v - sb[i])));
    const best = (xs) => words[xs.indexOf(Math.max(...xs))];
    report(`${path.basename(clip)} end to end mean log-prob of ${words.length} words: max |Δ| ${worst.toFixed(4)}, best word fp32 "${best(sa)}" q8 "${best(sb)}"`, worst <= maxLogProb && best(sa) === best(sb));
  }
  const sizes = ['encoder_model', 'decoder_model_merged'].map((stem) => `${stem} ${(fs.statSync(file(stem, false)).size / 1e6).toFixed(2)} MB -> ${(fs.statSync(file(stem, true)).size / 1e6).toFixed(2)} MB`);
  console.log(`onnxruntime-node ${ort.env.versions?.node ?? ''}: ${sizes.join(', ')}`);
  for (const s of Object.values(sessions)) await Promise.all([s.encoder.release(), s.decoder.release()]);
  return failed;
}
