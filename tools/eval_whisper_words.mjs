// Held-out evaluation of the exported Whisper-architecture model (builtin/whisper-words, or any
// folder with the same layout) through transformers.js on onnxruntime-node. Called by
// tools/train_whisper_words.py; can also be run by hand:
//   node tools/eval_whisper_words.mjs --models public/models/ --model builtin/whisper-words \
//        --eval-dir /tmp/whisper_words_eval --out /tmp/whisper_words_eval/node_result.json
// Options: --dtype fp32|q8 (which ONNX files: onnx/*.onnx or onnx/*_quantized.onnx), --limit N (first N items only), --skip-generate 1, --skip-pipeline 1, --max-new-tokens N (24),
//          --threads N (onnxruntime intra-op threads; 1 is faster when the cores are shared).
// The eval dir (written by train_whisper_words.py) holds audio/*.f32 (16 kHz mono float32),
// items.json ({words, templates, prompt, items: [{file, word, voice}]}; word "" = noise only),
// optionally features_check.f32 (numpy log-mel of the first K items, [K, 80, 3000]) and
// tokenizer_check.json ({strings, ids} from the Python BPE on the tiktoken ranks).
//
// Checks / metrics:
//  * tokenizer ids identical to the Python BPE + decode round trip;
//  * max |numpy - transformers.js WhisperFeatureExtractor| on the check clips;
//  * zero-shot scoring the app's way: encoder once, then ONE batched model.forward with
//    encoder_outputs tiled to N labels and N right-padded decoder_input_ids
//    (prompt + label tokens + <|endoftext|>, padded with 50257); score = mean log-softmax of the
//    tokens after the 4 prompt tokens up to and including <|endoftext|> (padding excluded),
//    softmax over labels. Batched vs one-at-a-time scores are compared;
//  * greedy transcription via model.generate (language en, task transcribe, no timestamps) and
//    the automatic-speech-recognition pipeline on a few clips.
import fs from 'node:fs';
import path from 'node:path';
import {
  AutoTokenizer, AutoProcessor, WhisperForConditionalGeneration, Tensor, pipeline,
} from '@huggingface/transformers';
import { parseArgs, useLocalModels } from './eval_common.mjs';

const args = parseArgs();
useLocalModels(args.models ?? 'public/models/');
const modelId = args.model ?? 'builtin/whisper-words';
const evalDir = args['eval-dir'] ?? '/tmp/whisper_words_eval';
const dtype = args.dtype ?? 'fp32';
const opts = { device: 'cpu', dtype };
if (args.threads) opts.session_options = { intraOpNumThreads: Number(args.threads), interOpNumThreads: 1 };

const tokenizer = await AutoTokenizer.from_pretrained(modelId);
const processor = await AutoProcessor.from_pretrained(modelId);
const model = await WhisperForConditionalGeneration.from_pretrained(modelId, opts);
const result = { model: modelId, dtype };

// ---- tokenizer ------------------------------------------------------------------------------
const tcPath = path.join(evalDir, 'tokenizer_check.json');
if (fs.existsSync(tcPath)) {
  const tc = JSON.parse(fs.readFileSync(tcPath, 'utf8'));
  const got = tc.strings.map((s) => tokenizer.encode(s, { add_special_tokens: false }));
  result.tokenizer_match = got.every((ids, i) => JSON.stringify(ids) === JSON.stringify(tc.ids[i]));
  result.tokenizer_roundtrip = tc.strings.every((s, i) => tokenizer.decode(got[i]) === s);
  result.tokenizer_ids = got;
  result.tokenizer_with_special = tokenizer.encode(tc.strings[0]);
  console.log('tokenizer ids identical to the Python tiktoken-rank BPE:', result.tokenizer_match,
    '| decode round trip:', result.tokenizer_roundtrip, '| tokenizer(s[0]) =', JSON.stringify(result.tokenizer_with_special));
}

const meta = JSON.parse(fs.readFileSync(path.join(evalDir, 'items.json'), 'utf8'));
const { words, templates, prompt } = meta;
let items = meta.items;
if (args.limit) items = items.slice(0, Number(args.limit));
const EOT = 50257;
const readAudio = (f) => {
  const buf = fs.readFileSync(path.join(evalDir, f));
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
};

// ---- front end check ------------------------------------------------------------------------
const fcPath = path.join(evalDir, 'features_check.f32');
if (fs.existsSync(fcPath)) {
  const buf = fs.readFileSync(fcPath);
  const ref = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const K = ref.length / (80 * 3000);
  let maxd = 0;
  for (let k = 0; k < K; k++) {
    const { input_features } = await processor(readAudio(meta.items[k].file));
    if (k === 0) result.input_features_dims = input_features.dims;
    const d = input_features.data;
    for (let i = 0; i < d.length; i++) maxd = Math.max(maxd, Math.abs(d[i] - ref[k * 80 * 3000 + i]));
  }
  result.features_max_abs_diff = maxd;
  console.log(`front end: max |numpy - transformers.js| over ${K} clips = ${maxd.toExponential(3)}`,
    `(input_features ${JSON.stringify(result.input_features_dims)})`);
}

// ---- helpers --------------------------------------------------------------------------------
async function encode(input_features) {
  const out = await model.sessions.model.run({ input_features: input_features.ort_tensor });
  return new Tensor(out.last_hidden_state);
}
function tile(t, n) {
  const [, S, D] = t.dims;
  const data = new Float32Array(n * S * D);
  for (let i = 0; i < n; i++) data.set(t.data, i * S * D);
  return new Tensor('float32', data, [n, S, D]);
}
const labelSeqs = Object.fromEntries(templates.map((tpl) => [tpl, words.map((w) =>
  [...prompt, ...tokenizer.encode(tpl.replace('{}', w), { add_special_tokens: false }), EOT])]));
result.label_sequences = labelSeqs;

function logSoftmaxAt(logits, V, row, target) {
  let m = -Infinity;
  for (let j = 0; j < V; j++) if (logits[row + j] > m) m = logits[row + j];
  let s = 0;
  for (let j = 0; j < V; j++) s += Math.exp(logits[row + j] - m);
  return logits[row + target] - m - Math.log(s);
}
function seqScores(logits, dims, seqs) {
  const [, Lmax, V] = dims;
  return seqs.map((seq, b) => {
    let tot = 0;
    let n = 0;
    for (let t = prompt.length - 1; t < seq.length - 1; t++) {
      tot += logSoftmaxAt(logits, V, (b * Lmax + t) * V, seq[t + 1]);
      n++;
    }
    return tot / n;
  });
}
/**
 * The app's two rules (src/lib/audioScoring.ts): 'mean' = mean log-prob of the label's tokens
 * (end-of-text excluded, the app's default) and 'sum-with-eot' = their sum plus end-of-text.
 */
function appRuleScores(logits, dims, seqs) {
  const [, Lmax, V] = dims;
  const mean = [];
  const sumWithEot = [];
  seqs.forEach((seq, b) => {
    let labelSum = 0;
    let labelCount = 0;
    let eot = 0;
    for (let t = prompt.length - 1; t < seq.length - 1; t++) {
      const lp = logSoftmaxAt(logits, V, (b * Lmax + t) * V, seq[t + 1]);
      if (t + 1 === seq.length - 1) eot = lp;
      else {
        labelSum += lp;
        labelCount++;
      }
    }
    mean.push(labelCount > 0 ? labelSum / labelCount : eot);
    sumWithEot.push(labelSum + eot);
  });
  return { mean, 'sum-with-eot': sumWithEot };
}
let lastAppRuleScores = null;
async function scoreBatched(enc, seqs) {
  const Lmax = Math.max(...seqs.map((s) => s.length));
  const ids = new BigInt64Array(seqs.length * Lmax).fill(BigInt(EOT));
  seqs.forEach((s, b) => s.forEach((t, j) => { ids[b * Lmax + j] = BigInt(t); }));
  const out = await model.forward({
    encoder_outputs: tile(enc, seqs.length),
    decoder_input_ids: new Tensor('int64', ids, [seqs.length, Lmax]),
  });
  lastAppRuleScores = appRuleScores(out.logits.data, out.logits.dims, seqs);
  return seqScores(out.logits.data, out.logits.dims, seqs);
}
async function scoreOneByOne(enc, seqs) {
  const res = [];
  for (const s of seqs) {
    const out = await model.forward({
      encoder_outputs: enc,
      decoder_input_ids: new Tensor('int64', BigInt64Array.from(s.map(BigInt)), [1, s.length]),
    });
    res.push(seqScores(out.logits.data, out.logits.dims, [s])[0]);
  }
  return res;
}
const softmax = (xs) => {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
};
const norm = (s) => s.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');

// ---- main loop ------------------------------------------------------------------------------
const correct = Object.fromEntries(templates.map((t) => [t, 0]));
const correctAppRules = { mean: Object.fromEntries(templates.map((t) => [t, 0])), 'sum-with-eot': Object.fromEntries(templates.map((t) => [t, 0])) };
let nWords = 0;
let greedyOk = 0;
let noiseEmpty = 0;
let nNoise = 0;
let batchDiff = 0;
const perItem = [];
const t0 = Date.now();
for (let k = 0; k < items.length; k++) {
  const it = items[k];
  const { input_features } = await processor(readAudio(it.file));
  const enc = await encode(input_features);
  const rec = { file: it.file, word: it.word, voice: it.voice, group: it.group };
  // items.json flags: `extra` items (other groups: held-out synthesiser, capture conditions) are
  // left out of the overall counters (the training script reports them per group);
  // `default_template_only` scores the first template only; `skip_generate` skips greedy decoding.
  const counted = !it.extra;
  const itemTemplates = it.default_template_only ? templates.slice(0, 1) : templates;
  if (it.word) {
    if (counted) nWords++;
    rec.probs = {};
    rec.scores = {};
    for (const tpl of itemTemplates) {
      const scores = await scoreBatched(enc, labelSeqs[tpl]);
      for (const rule of ['mean', 'sum-with-eot']) {
        const ruleScores = lastAppRuleScores[rule];
        if (counted && words[ruleScores.indexOf(Math.max(...ruleScores))] === it.word) correctAppRules[rule][tpl]++;
      }
      if (k < 3) {
        const single = await scoreOneByOne(enc, labelSeqs[tpl]);
        scores.forEach((s, i) => { batchDiff = Math.max(batchDiff, Math.abs(s - single[i])); });
      }
      const p = softmax(scores);
      rec.probs[tpl] = p;
      rec.scores[tpl] = scores;
      const pred = p.indexOf(Math.max(...p));
      if (counted && words[pred] === it.word) correct[tpl]++;
    }
  }
  if (!args['skip-generate'] && !it.skip_generate) {
    const out = await model.generate({
      inputs: input_features, language: 'en', task: 'transcribe', return_timestamps: false,
      do_sample: false, num_beams: 1, max_new_tokens: Number(args['max-new-tokens'] ?? 24),
    });
    rec.generated_ids = Array.from(out[0].data, Number);
    rec.text = tokenizer.decode(rec.generated_ids, { skip_special_tokens: true });
    if (!counted) {
      // reported per group by the training script
    } else if (it.word) {
      if (norm(rec.text) === norm(it.word)) greedyOk++;
    } else {
      nNoise++;
      if (norm(rec.text) === '') noiseEmpty++;
    }
  }
  perItem.push(rec);
  if (k % 50 === 0) console.log(`  ${k}/${items.length} ${((Date.now() - t0) / 1000).toFixed(0)}s`, JSON.stringify(rec.word), JSON.stringify(rec.text));
}
result.items = perItem;
result.n_word_clips = nWords;
result.n_noise_clips = nNoise;
result.seconds = (Date.now() - t0) / 1000;
result.zero_shot_accuracy = Object.fromEntries(templates.map((t) => [t, correct[t] / Math.max(1, nWords)]));
result.zero_shot_accuracy_app_rules = Object.fromEntries(
  Object.entries(correctAppRules).map(([rule, byTemplate]) => [rule, Object.fromEntries(templates.map((t) => [t, byTemplate[t] / Math.max(1, nWords)]))]),
);
result.batched_vs_single_max_abs_diff = batchDiff;
if (!args['skip-generate']) {
  result.greedy_exact_match = greedyOk / Math.max(1, nWords);
  result.noise_empty_transcript = nNoise ? noiseEmpty / nNoise : null;
}
console.log(`app scoring rules on ${nWords} held-out clips:`, JSON.stringify(result.zero_shot_accuracy_app_rules));
console.log(`zero-shot accuracy on ${nWords} held-out clips:`, JSON.stringify(result.zero_shot_accuracy),
  `| batched vs one-at-a-time max |diff| ${batchDiff.toExponential(2)}`);
if (!args['skip-generate']) {
  console.log(`greedy transcription exact match ${(100 * result.greedy_exact_match).toFixed(2)}%`,
    `| noise-only clips with empty transcript ${nNoise ? (100 * result.noise_empty_transcript).toFixed(1) : '-'}% of ${nNoise}`);
}

// ---- pipeline ---------------------------------------------------------------------------------
if (!args['skip-pipeline']) {
  const asr = await pipeline('automatic-speech-recognition', modelId, opts);
  result.pipeline = [];
  for (const it of meta.items.slice(0, 5)) {
    const out = await asr(readAudio(it.file), { language: 'en', task: 'transcribe', return_timestamps: false, max_new_tokens: Number(args['max-new-tokens'] ?? 24) });
    result.pipeline.push({ word: it.word, text: out.text });
  }
  console.log('pipeline(automatic-speech-recognition):', JSON.stringify(result.pipeline));
}
fs.writeFileSync(args.out ?? path.join(evalDir, 'node_result.json'), JSON.stringify(result));
