// Decode every file in e2e/fixtures/audio/ (plus any extra paths given) with Web Audio in
// /usr/bin/chromium and print what came out:
//
//   node tools/check_audio_fixtures.mjs [extra files...]
//
// Each file is handed to an about:blank page as base64 and decoded with
// `new OfflineAudioContext(1, 1, 16000).decodeAudioData(bytes)`; decodeAudioData resamples to the
// context's rate (16 kHz), so the file's own rate comes from ffprobe. Exit code 1 if a file's
// result differs from EXPECT below.
//
// Then mic-up.wav is checked as a fake microphone: a second Chromium is started with
// --use-fake-device-for-media-stream --use-fake-ui-for-media-stream
// --use-file-for-fake-audio-capture=e2e/fixtures/audio/mic-up.wav, a page on a localhost server
// (getUserMedia needs a secure context) records 5 s through an AnalyserNode and prints the RMS
// envelope (one character per 100 ms), which should show the word looping every ~2.13 s.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:http';
import { chromium } from '@playwright/test';

const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const DIR = join(REPO, 'e2e', 'fixtures', 'audio');
/** Expected decode result in Chromium (true = decodes). */
const EXPECT = {
  'left.wav': true, 'left-44k.wav': true, 'yes.mp3': true, 'stop.ogg': true, 'down.flac': true, 'go.webm': true, 'right.m4a': true,
  'mic-up.wav': true, 'silence.wav': true, 'one-ms.wav': true, 'corrupt.mp3': false, 'unsupported.wma': false,
};

const files = [
  ...readdirSync(DIR).filter((f) => !f.endsWith('.md')).sort().map((f) => join(DIR, f)),
  ...process.argv.slice(2).map((f) => resolve(f)),
];

function probe(path) {
  try {
    return execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,sample_rate,channels:format=format_name,duration',
      '-of', 'json', path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
const page = await browser.newPage();
await page.goto('about:blank');
console.log(`Chromium ${browser.version()}`);

let failures = 0;
for (const path of files) {
  const name = basename(path);
  const bytes = readFileSync(path);
  const res = await page.evaluate(async (b64) => {
    const bin = atob(b64);
    const buf = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) buf[i] = bin.charCodeAt(i);
    try {
      const ctx = new OfflineAudioContext(1, 1, 16000);
      const audio = await ctx.decodeAudioData(buf.buffer);
      let peak = 0;
      for (let c = 0; c < audio.numberOfChannels; c++) {
        for (const v of audio.getChannelData(c)) peak = Math.max(peak, Math.abs(v));
      }
      return { ok: true, duration: audio.duration, sampleRate: audio.sampleRate, channels: audio.numberOfChannels, length: audio.length, peak };
    } catch (e) {
      return { ok: false, error: `${e?.name ?? 'Error'}: ${e?.message ?? e}` };
    }
  }, bytes.toString('base64'));
  let src;
  const p = probe(path);
  if (p) {
    const j = JSON.parse(p);
    const s = j.streams?.[0];
    src = s ? `[file: ${j.format?.format_name} ${s.codec_name} ${s.sample_rate} Hz ${s.channels} ch ${Number(j.format?.duration).toFixed(3)} s]` : '[file: no stream]';
  } else {
    src = '[file: ffprobe cannot read it]';
  }
  const expected = EXPECT[name];
  const verdict = expected === undefined ? '' : expected === res.ok ? 'as expected' : 'UNEXPECTED';
  if (expected !== undefined && expected !== res.ok) failures++;
  if (res.ok) {
    console.log(`${name.padEnd(18)} ${String(bytes.length).padStart(7)} B  decoded: duration ${res.duration.toFixed(4)} s, sampleRate ${res.sampleRate}, channels ${res.channels}, length ${res.length}, peak ${res.peak.toFixed(3)}  ${src}  ${verdict}`);
  } else {
    console.log(`${name.padEnd(18)} ${String(bytes.length).padStart(7)} B  FAILED: ${res.error}  ${src}  ${verdict}`);
  }
}
await browser.close();

// ---- mic-up.wav as Chromium's fake microphone
const server = createServer((_, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>mic</title>'));
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const micBrowser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run',
    '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required',
    `--use-file-for-fake-audio-capture=${join(DIR, 'mic-up.wav')}`],
});
const micPage = await micBrowser.newPage();
await micPage.goto(`http://127.0.0.1:${server.address().port}/`);
const mic = await micPage.evaluate(async () => {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
  const track = stream.getAudioTracks()[0];
  const ctx = new AudioContext();
  await ctx.resume();
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 2048;
  ctx.createMediaStreamSource(stream).connect(analyser);
  const buf = new Float32Array(analyser.fftSize);
  const rms = [];
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 100));
    analyser.getFloatTimeDomainData(buf);
    rms.push(Math.sqrt(buf.reduce((s, v) => s + v * v, 0) / buf.length));
  }
  const settings = track.getSettings();
  track.stop();
  return { label: track.label, sampleRate: ctx.sampleRate, settings, rms };
});
await micBrowser.close();
server.close();
const env = mic.rms.map((v) => (v > 0.05 ? '#' : v > 0.005 ? '+' : '.')).join('');
const loud = mic.rms.filter((v) => v > 0.005).length;
console.log(`fake microphone (mic-up.wav): track "${mic.label}", AudioContext ${mic.sampleRate} Hz, settings ${JSON.stringify(mic.settings)}`);
console.log(`  RMS envelope over 5 s (100 ms steps; # > 0.05, + > 0.005, . quieter): ${env}`);
console.log(`  max RMS ${Math.max(...mic.rms).toFixed(3)}; ${loud}/50 steps with sound`);
if (loud === 0 || loud === 50) failures++;
process.exit(failures ? 1 : 0);
