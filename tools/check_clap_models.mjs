// Verify a CLAP model folder written by tools/make_clap_models.py with transformers.js (onnxruntime-node).
//
//   node tools/check_clap_models.mjs e2e/fixtures/models clap-tiny [/tmp/clap-tiny.ref.json]
//   node tools/check_clap_models.mjs bench/.models clap-random [/tmp/clap-random.ref.json]
//
// Checks: tokenizer padding; ONNX Runtime vs torch reference embeddings (if the reference JSON
// exists); the zero-shot-audio-classification pipeline on synthetic 48 kHz Float32Arrays; that
// softmax(logit_scale * cosine(text_embeds, audio_embeds)) from ClapTextModelWithProjection /
// ClapAudioModelWithProjection matches the pipeline's scores; padding invariance of text_embeds;
// a batched ClapModel call (2 audios); what dtype 'q8' asks for.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  AutoModel,
  AutoProcessor,
  AutoTokenizer,
  ClapAudioModelWithProjection,
  ClapTextModelWithProjection,
  Tensor,
  env,
  pipeline,
  random,
} from '@huggingface/transformers';

const [modelsDir = 'e2e/fixtures/models', name = 'clap-tiny', refArg] = process.argv.slice(2);
env.localModelPath = resolve(modelsDir) + '/';
env.allowRemoteModels = false;
const refPath = refArg ?? `/tmp/${name}.ref.json`;
const opts = { device: 'cpu', dtype: 'fp32' };
const config = JSON.parse(readFileSync(resolve(modelsDir, name, 'config.json'), 'utf8'));
const logitScale = config.clap_random?.logit_scale ?? config.logit_scale_init_value;

const maxAbs = (a, b) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
const rows = (t) => Array.from({ length: t.dims[0] }, (_, i) => Array.from(t.data.subarray(i * t.dims[1], (i + 1) * t.dims[1])));
const l2n = (v) => { const n = Math.hypot(...v); return v.map((x) => x / n); };
const dot = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0);
const softmax = (v) => { const m = Math.max(...v); const e = v.map((x) => Math.exp(x - m)); const s = e.reduce((a, b) => a + b); return e.map((x) => x / s); };
const ms = (t0) => `${(performance.now() - t0).toFixed(0)} ms`;

// ---- synthetic audio at 48 kHz
const SR = 48000;
let seed = 12345;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
const gen = (seconds, f) => Float32Array.from({ length: Math.round(seconds * SR) }, (_, i) => f(i / SR, i));
const audios = {
  'tone 440 Hz + harmonics, 2 s': gen(2, (t) => 0.3 * Math.sin(2 * Math.PI * 440 * t) + 0.1 * Math.sin(2 * Math.PI * 1320 * t)),
  'white noise, 3 s': gen(3, () => 0.2 * rnd()),
  'chirp 200->4000 Hz, 0.3 s (repeatpad)': gen(0.3, (t) => 0.5 * Math.sin(2 * Math.PI * (200 * t + (3800 / 0.6) * t * t))),
  'noise bursts, exactly 10 s': gen(10, (t) => (Math.floor(t * 4) % 2 ? 0.3 * rnd() : 0.01 * rnd())),
};

let t0 = performance.now();
const tokenizer = await AutoTokenizer.from_pretrained(name);
const processor = await AutoProcessor.from_pretrained(name);
const textModel = await ClapTextModelWithProjection.from_pretrained(name, opts);
const audioModel = await ClapAudioModelWithProjection.from_pretrained(name, opts);
console.log(`loaded tokenizer/processor/text/audio towers in ${ms(t0)}`);
t0 = performance.now();
const classifier = await pipeline('zero-shot-audio-classification', name, opts);
console.log(`loaded pipeline (ClapModel, onnx/model.onnx) in ${ms(t0)}; processor: ${processor.feature_extractor.constructor.name}, tokenizer: ${tokenizer.constructor.name}`);

// ---- tokenizer
const labels = ['dog', 'vacuum cleaner', 'a person speaking', 'music', 'silence'];
const template = 'This is a sound of {}.';
const texts = labels.map((l) => template.replace('{}', l));
const enc = tokenizer(texts, { padding: true, truncation: true });
console.log(`tokenizer(texts, {padding, truncation}): input_ids dims ${JSON.stringify(enc.input_ids.dims)}; row 0 ids ${JSON.stringify(Array.from(enc.input_ids.data.subarray(0, enc.input_ids.dims[1]), Number))}, mask ${JSON.stringify(Array.from(enc.attention_mask.data.subarray(0, enc.input_ids.dims[1]), Number))}`);

// ---- torch reference
if (existsSync(refPath)) {
  const ref = JSON.parse(readFileSync(refPath, 'utf8'));
  const L = ref.input_ids[0].length;
  const ids = new Tensor('int64', BigInt64Array.from(ref.input_ids.flat(), BigInt), [ref.input_ids.length, L]);
  const am = new Tensor('int64', BigInt64Array.from(ref.attention_mask.flat(), BigInt), [ref.input_ids.length, L]);
  const { text_embeds } = await textModel({ input_ids: ids, attention_mask: am });
  const feats = new Tensor('float32', Float32Array.from(ref.input_features), [ref.audio_embeds.length, 1, 1001, 64]);
  const { audio_embeds } = await audioModel({ input_features: feats });
  console.log(`ONNX Runtime vs torch (${refPath}): text_embeds max abs diff ${maxAbs(Array.from(text_embeds.data), ref.text_embeds.flat()).toExponential(2)}, ` +
    `audio_embeds max abs diff ${maxAbs(Array.from(audio_embeds.data), ref.audio_embeds.flat()).toExponential(2)} ` +
    `(|audio_embeds| max ${Math.max(...ref.audio_embeds.flat().map(Math.abs)).toFixed(3)})`);
} else {
  console.log(`(no torch reference at ${refPath}; skipped)`);
}

// ---- text embeddings: padded batch vs one text at a time
t0 = performance.now();
const { text_embeds } = await textModel(enc);
const textMs = ms(t0);
let padDiff = 0;
for (let i = 0; i < texts.length; i++) {
  const single = await textModel(tokenizer([texts[i]]));
  padDiff = Math.max(padDiff, maxAbs(Array.from(single.text_embeds.data), rows(text_embeds)[i]));
}
console.log(`text_embeds dims ${JSON.stringify(text_embeds.dims)} (${textMs} for ${texts.length} texts); padded batch vs single: max abs diff ${padDiff.toExponential(2)}; ` +
  `|text_embeds[0]| = ${Math.hypot(...rows(text_embeds)[0]).toFixed(4)} (raw projection, not normalised)`);
const T = rows(text_embeds).map(l2n);

// ---- pipeline vs towers
let worst = 0;
const audioEmbeds = [];
for (const [desc, audio] of Object.entries(audios)) {
  random.seed(0);
  t0 = performance.now();
  const out = await classifier(audio, labels, { hypothesis_template: template });
  const pipeMs = ms(t0);
  t0 = performance.now();
  const inputs = await processor(audio);
  const { audio_embeds } = await audioModel(inputs);
  const audioMs = ms(t0);
  const a = l2n(Array.from(audio_embeds.data));
  audioEmbeds.push(a);
  const probs = softmax(T.map((t) => logitScale * dot(a, t)));
  const pipeByLabel = Object.fromEntries(out.map((o) => [o.label, o.score]));
  const diff = maxAbs(labels.map((l) => pipeByLabel[l]), probs);
  worst = Math.max(worst, diff);
  console.log(`${desc}: input_features ${JSON.stringify(inputs.input_features.dims)}; pipeline ${pipeMs}, processor+audio tower ${audioMs}`);
  console.log(`   pipeline: ${out.map((o) => `${o.label} ${o.score.toFixed(4)}`).join(', ')}`);
  console.log(`   towers  : ${labels.map((l, i) => `${l} ${probs[i].toFixed(4)}`).join(', ')}   max abs diff ${diff.toExponential(2)}`);
}
console.log(`max abs diff pipeline vs towers (softmax of ${logitScale.toFixed(4)} * cosine) over ${Object.keys(audios).length} clips: ${worst.toExponential(2)}`);
const cos = [];
for (let i = 0; i < audioEmbeds.length; i++) for (let j = i + 1; j < audioEmbeds.length; j++) cos.push(dot(audioEmbeds[i], audioEmbeds[j]));
console.log(`cosine between the clips' audio embeddings: min ${Math.min(...cos).toFixed(3)}, max ${Math.max(...cos).toFixed(3)}`);

// ---- longer than 10 s: rand_trunc picks a random crop
const long = gen(12, (t) => (t < 6 ? 0.3 * Math.sin(2 * Math.PI * 300 * t) : 0.3 * rnd()));
const e1 = Array.from((await audioModel(await processor(long))).audio_embeds.data);
const e2 = Array.from((await audioModel(await processor(long))).audio_embeds.data);
random.seed(3);
const e3 = Array.from((await audioModel(await processor(long))).audio_embeds.data);
random.seed(3);
const e4 = Array.from((await audioModel(await processor(long))).audio_embeds.data);
console.log(`12 s clip (rand_trunc): two calls differ by ${maxAbs(e1, e2).toExponential(2)}; after random.seed(3) each: ${maxAbs(e3, e4).toExponential(2)}`);

// ---- ClapModel directly with a batch of 2 audios
const model = await AutoModel.from_pretrained(name, opts);
const f1 = (await processor(audios['white noise, 3 s'])).input_features;
const f2 = (await processor(audios['tone 440 Hz + harmonics, 2 s'])).input_features;
const { cat } = await import('@huggingface/transformers');
const both = await model({ ...enc, input_features: cat([f1, f2], 0) });
console.log(`ClapModel batch: logits_per_audio ${JSON.stringify(both.logits_per_audio.dims)}, logits_per_text ${JSON.stringify(both.logits_per_text.dims)}, ` +
  `text_embeds ${JSON.stringify(both.text_embeds.dims)} |.|=${Math.hypot(...rows(both.text_embeds)[0]).toFixed(4)}, audio_embeds ${JSON.stringify(both.audio_embeds.dims)}; ` +
  `row 1 vs towers: ${maxAbs(rows(both.audio_embeds)[1], audioEmbeds[0]).toExponential(2)}`);

// ---- dtype q8 expects *_quantized.onnx
try {
  await ClapTextModelWithProjection.from_pretrained(name, { device: 'cpu', dtype: 'q8' });
  console.log('dtype q8: loaded (unexpected)');
} catch (e) {
  console.log(`dtype q8: ${String(e.message ?? e).split('\n')[0].slice(0, 200)}`);
}
