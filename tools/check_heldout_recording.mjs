// An outside reference for e2e/microphone-heldout.spec.ts: the same held-out flite words, scored
// by the built-in Whisper outside the browser, after the same kind of Opus round trip as the
// app's recorder, with ffmpeg's Opus coder instead of Chromium's, transformers.js' feature extractor and
// onnxruntime-node. Each label is scored the app's default way (template " {}", mean log-prob of
// the label's tokens after the transcription prompt, end-of-text excluded, softmax over the labels,
// no calibration), one label per decoder run (no batching, no padding).
//
//   node tools/check_heldout_recording.mjs                      (the three e2e fixtures, fp32)
//   node tools/check_heldout_recording.mjs --dtype q8           (the *_quantized.onnx files)
//   node tools/check_heldout_recording.mjs test-results/*/left.webm ...
//                          (recordings the e2e spec saved: the very bytes the app classified)
//
// Options: --models DIR (public/models/), --model ID (builtin/whisper-words), --dtype fp32|q8,
//          --bitrate 64k and --seconds 2.1 (the Opus round trip of a .wav: what Chromium 156's
//          MediaRecorder made of the fake microphone here: Opus in WebM, 48 kHz, 2 channels,
//          ~64 kbit/s, ~2.1 s from the start of the file).
// A file's word is the last '-'-separated part of its name (mic-flite-rms-left.wav, left.webm).
// Needs ffmpeg. Exits 1 when a word is not ranked first.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { AutoProcessor, AutoTokenizer } from '@huggingface/transformers';
import { parseArgs, useLocalModels } from './eval_common.mjs';

const WORDS = ['yes', 'no', 'up', 'down', 'left', 'right', 'on', 'off', 'stop', 'go'];
const DEFAULT_FILES = ['mic-flite-rms-left.wav', 'mic-flite-awb-stop.wav', 'mic-flite-rms-yes.wav'].map((f) => path.join('e2e/fixtures/audio', f));

const argv = process.argv.slice(2);
const args = parseArgs(argv);
const files = argv.filter((a, i) => !a.startsWith('--') && !(i > 0 && argv[i - 1].startsWith('--')));
const modelsDir = args.models ?? 'public/models/';
const modelId = args.model ?? 'builtin/whisper-words';
const dtype = args.dtype ?? 'fp32';
if (dtype !== 'fp32' && dtype !== 'q8') throw new Error(`--dtype must be fp32 or q8, not ${dtype}`);
const bitrate = args.bitrate ?? '64k';
const seconds = args.seconds ?? '2.1';

useLocalModels(modelsDir);
const dir = path.join(modelsDir, modelId);
const suffix = dtype === 'q8' ? '_quantized' : '';
const options = { intraOpNumThreads: 1, interOpNumThreads: 1 };
const encoder = await ort.InferenceSession.create(path.join(dir, 'onnx', `encoder_model${suffix}.onnx`), options);
const decoder = await ort.InferenceSession.create(path.join(dir, 'onnx', `decoder_model_merged${suffix}.onnx`), options);
const tokenizer = await AutoTokenizer.from_pretrained(modelId);
const processor = await AutoProcessor.from_pretrained(modelId);
const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
const generation = JSON.parse(fs.readFileSync(path.join(dir, 'generation_config.json'), 'utf8'));
const promptIds = [generation.decoder_start_token_id, generation.lang_to_id['<|en|>'], generation.task_to_id.transcribe, generation.no_timestamps_token_id];
const heads = config.decoder_attention_heads;
const headDim = config.d_model / heads;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'heldout-recording-'));
const ffmpeg = (...a) => execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...a], { maxBuffer: 1 << 28 });

/**
 * 16 kHz mono float32 samples of a file: decoded and resampled by ffmpeg, then the channels
 * averaged with equal weights as the app does (src/lib/audio.ts downmixToMono). Not ffmpeg's
 * `-ac 1`: its stereo down-mix is 3 dB louder (L+R)/√2, and these scores move with the level.
 */
function samples16k(file) {
  const channels = Number(execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'a:0', '-show_entries', 'stream=channels', '-of', 'csv=p=0', file]).toString().trim());
  const raw = ffmpeg('-i', file, '-ar', '16000', '-f', 'f32le', '-');
  const interleaved = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const mono = new Float32Array(Math.floor(interleaved.length / channels));
  for (let i = 0; i < mono.length; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += interleaved[i * channels + c];
    mono[i] = sum / channels;
  }
  return mono;
}

/**
 * A (mono) fixture as the app's recorder turns it into: the first `seconds`, Opus in WebM at 48 kHz
 * stereo, the mono signal at full level in both channels as Chromium's fake microphone gives it
 * (ffmpeg's own `-ac 2` up-mix would be 3 dB quieter).
 */
function opusRoundTrip(file) {
  const out = path.join(tmp, `${path.basename(file, path.extname(file))}.webm`);
  ffmpeg('-i', file, '-t', seconds, '-af', 'pan=stereo|c0=c0|c1=c0', '-c:a', 'libopus', '-b:a', bitrate, '-ar', '48000', out);
  return out;
}

function logSoftmaxAt(data, offset, vocab, token) {
  let max = -Infinity;
  for (let v = 0; v < vocab; v++) max = Math.max(max, data[offset + v]);
  let total = 0;
  for (let v = 0; v < vocab; v++) total += Math.exp(data[offset + v] - max);
  return data[offset + token] - max - Math.log(total);
}

/** Softmax over the labels of each label's mean token log-prob. */
async function rank(audio) {
  const { input_features: features } = await processor(audio);
  const { last_hidden_state: hidden } = await encoder.run({ input_features: new ort.Tensor('float32', features.data, features.dims) });
  const scores = [];
  for (const word of WORDS) {
    const labelIds = tokenizer.encode(` ${word}`, { add_special_tokens: false });
    const ids = [...promptIds, ...labelIds];
    const feeds = { input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]), encoder_hidden_states: hidden };
    for (const name of decoder.inputNames) {
      if (name.startsWith('past_key_values.')) feeds[name] = new ort.Tensor('float32', new Float32Array(0), [1, heads, 0, headDim]);
      if (name === 'use_cache_branch') feeds[name] = new ort.Tensor('bool', [false], [1]);
    }
    const { logits } = await decoder.run(feeds);
    const vocab = logits.dims[2];
    let sum = 0;
    labelIds.forEach((token, k) => (sum += logSoftmaxAt(logits.data, (promptIds.length + k - 1) * vocab, vocab, token)));
    scores.push(sum / labelIds.length);
  }
  const max = Math.max(...scores);
  const exp = scores.map((s) => Math.exp(s - max));
  const total = exp.reduce((a, b) => a + b, 0);
  return WORDS.map((label, i) => ({ label, score: exp[i] / total })).sort((a, b) => b.score - a.score);
}

const show = (ranking) => ranking.map((p) => `${p.label} ${p.score.toFixed(4)}`).join(', ');
console.log(`${modelId} (${dtype}) on onnxruntime-node ${ort.env.versions?.node ?? ''}; Opus round trip of .wav: ${bitrate}, 48 kHz stereo, first ${seconds} s`);
let misses = 0;
for (const file of files.length > 0 ? files : DEFAULT_FILES) {
  const word = path.basename(file, path.extname(file)).split('-').at(-1);
  if (!WORDS.includes(word)) throw new Error(`${file}: "${word}" is not one of the ten words`);
  const conditions = path.extname(file) === '.wav' ? [['as written', file], ['Opus round trip', opusRoundTrip(file)]] : [['as recorded', file]];
  for (const [condition, audioFile] of conditions) {
    const ranking = await rank(samples16k(audioFile));
    const ok = ranking[0].label === word;
    // Only the condition the app meets counts: a recording, or a fixture after its Opus round trip.
    if (!ok && condition !== 'as written') misses++;
    console.log(`${ok ? 'ok  ' : 'MISS'} ${path.basename(file)} [${condition}] "${word}": ${show(ranking)}`);
  }
}
fs.rmSync(tmp, { recursive: true, force: true });
await encoder.release();
await decoder.release();
console.log(misses === 0 ? 'every word ranked first' : `${misses} word(s) not ranked first`);
process.exitCode = misses === 0 ? 0 : 1;
