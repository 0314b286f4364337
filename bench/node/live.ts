/**
 * `--only=live` (or one figure: live-shapes, live-vitb32, live-whisper): live mode in the built app
 * against the model alone.
 *
 * Live: the production build (or --dist=<dir>) served by `vite preview`, opened in headless Chromium
 * with a fake capture device: for the camera a `.y4m` made here by ffmpeg from generated shape
 * pictures (a red circle for a few seconds, then a blue square, looped by Chromium); for the
 * microphone a WAV made by sox from the spoken-word fixtures with pauses between them. The page opens
 * with `?live=camera|microphone&debug=1&backend=wasm` and the model's id (the ViT-B/32-sized export
 * comes from the e2e suite's Hub mimic, `?hub=`, as a user's Hub model would). After the first
 * scored frame or window and a warm-up, two readings of `window.zspDebug.liveCamera()` /
 * `liveMicrophone()` MEASURE_S apart give the rates (differences of the app's counters over the
 * page's own clock, or over the captured audio seconds) and the latencies (the app's last ≤ 120).
 *
 * Pure: the bench page's worker (bench/browser/liveBench.ts) loads the same model as the app's
 * worker does and runs only the model: the vision tower's `session.run` at batch 1 on a fixed pixel
 * tensor, back to back; for Whisper one window's encode + score (and the transcription, apart). It
 * runs before and (full runs) after the live reading, with the app's browser closed, and the mean of
 * the two medians is the figure (the machine is shared; both readings are kept).
 *
 * Ratio: live frames (windows) per second / the pure rate (the issue's target: ≥ 0.8). When the
 * camera delivers fewer frames than the model could score (the built-in CLIP scores hundreds a
 * second; a webcam gives 30), the ratio is bounded by the capture rate: the report gives the
 * capture-bound ratio (live / min(pure, offered)) beside it. Nothing is asserted.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import * as v from 'valibot';
import { HubServer } from '../../e2e/support/hub-server';
import { shapeImage } from '../../e2e/support/shapes';
import { DEFAULT_WHISPER_TEMPLATE } from '../../src/lib/audioScoring';
import { buildPrompts } from '../../src/lib/labels';
import { quantile } from '../../src/lib/liveSmoothing';
import type { LiveVisionRate, LiveWhisperWindowRate } from '../shared/protocol';
import { median } from '../shared/random';
import { call, freshWorker, log } from './pageCalls';
import { modelDir, repoRoot } from './paths';
import { builtApp, previewBuild, startBenchServer } from './server';
import { benchMachine, type BenchMachine } from './machine';

export const LIVE_KEYS = ['live-shapes', 'live-vitb32', 'live-whisper'] as const;
export type LiveKey = (typeof LIVE_KEYS)[number];

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-quic'];

/** A webcam's usual rate; Chromium's file-backed fake camera delivers the file's rate. */
const CAMERA_FPS = 30;
const CAMERA_SIZE_PX = { width: 320, height: 240 };
/** Each shape stays this long on the fake camera before the next. */
const SHAPE_SECONDS = 4;
const CAMERA_LABELS = ['red circle', 'blue square', 'green triangle', 'yellow star', 'purple cross'];
const CAMERA_TEMPLATE = 'a photo of a {}.';

/** Spoken words (espeak-ng fixtures), each followed by a pause; Chromium loops the file. */
const MIC_WORDS = ['yes', 'no', 'up', 'down', 'left', 'right'];
const MIC_VOICE = 'en-us-m2';
/** Longer than the app's default window (1.5 s) plus its hop (0.75 s), so a window between two words is all silence. */
const MIC_PAUSE_S = 2.5;
const MIC_SAMPLE_RATE_HZ = 48_000;
/**
 * The window the pure Whisper figure encodes: the live microphone's default length. Whisper pads
 * every window to 30 s, so the encoder and decoder cost hardly depends on it (only the log-mel part
 * does); the hop the app used is read back from its counters (captured seconds / windows offered).
 */
const PURE_WINDOW_S = 1.5;

/** The model load (ViT-B/32: 600 MB through the Hub mimic) and the permission prompt, on a shared machine. */
const READY_TIMEOUT_MS = 15 * 60 * 1000;
/** After the first scored frame/window, before the first reading: kernels compiled, the pipeline in its steady state. */
const WARMUP_MS = { full: 8_000, quick: 4_000 };
/** Between the two readings (the issue: "~20 s after warm-up"). */
const MEASURE_MS = { full: 20_000, quick: 8_000 };

interface ModelPlan {
  key: Exclude<LiveKey, 'live-whisper'>;
  title: string;
  /** The id the app loads (a Hub id for the bench export, served by the Hub mimic). */
  appModelId: string;
  /** The same files for the bench worker, served under /models/ by the bench server. */
  benchModelId: string;
  /** bench/.models folder to serve through the Hub mimic, when the model is not built in. */
  hubDir?: string;
}

const CAMERA_MODELS: ModelPlan[] = [
  { key: 'live-shapes', title: 'clip-shapes (built-in)', appModelId: 'builtin/clip-shapes', benchModelId: 'builtin/clip-shapes' },
  {
    key: 'live-vitb32',
    title: 'ViT-B/32-sized, random weights',
    appModelId: 'bench/clip-vitb32-random',
    benchModelId: 'bench/clip-vitb32-random',
    hubDir: modelDir('bench/clip-vitb32-random'),
  },
];
const WHISPER_MODEL_ID = 'builtin/whisper-words';

// ---------------------------------------------------------------------------------------------
// The debug API's readings, checked (the contract of issue 13; a mismatch is a readable problem).

const latencies = v.array(v.number());
const cameraSnapshotSchema = v.object({
  running: v.boolean(),
  paused: v.boolean(),
  backend: v.nullable(v.string()),
  framesOffered: v.number(),
  framesScored: v.number(),
  framesDropped: v.number(),
  fps: v.number(),
  latenciesMs: latencies,
});
const microphoneSnapshotSchema = v.object({
  running: v.boolean(),
  backend: v.nullable(v.string()),
  windowsOffered: v.number(),
  windowsScored: v.number(),
  windowsSilent: v.number(),
  windowsDropped: v.number(),
  capturedSeconds: v.number(),
  latenciesMs: latencies,
});
type CameraSnapshot = v.InferOutput<typeof cameraSnapshotSchema>;
type MicrophoneSnapshot = v.InferOutput<typeof microphoneSnapshotSchema>;
type LiveApi = 'liveCamera' | 'liveMicrophone';

/** One reading of `zspDebug[api]()` with the page's clock; null while not live. */
async function readLive(page: Page, api: LiveApi): Promise<{ atMs: number; value: unknown }> {
  return page.evaluate(async (name) => {
    const debug: unknown = Reflect.get(window, 'zspDebug');
    const read: unknown = debug ? Reflect.get(debug, name) : undefined;
    if (typeof read !== 'function') return { atMs: performance.now(), value: { missing: `window.zspDebug.${name} is not a function` } };
    // Awaited in case the reading is a promise; the clock is read right after it.
    const value: unknown = await (read as () => unknown)();
    return { atMs: performance.now(), value };
  }, api);
}

function checked<T>(schema: v.GenericSchema<unknown, T>, value: unknown, api: LiveApi): T {
  if (value && typeof value === 'object' && 'missing' in value) throw new Error(`${String(value.missing)} (is live mode in this build? run with ?debug=1)`);
  const result = v.safeParse(schema, value);
  if (!result.success) throw new Error(`zspDebug.${api}() does not match the contract: ${result.issues.map((issue) => `${v.getDotPath(issue) ?? '(root)'}: ${issue.message}`).join('; ')}`);
  return result.output;
}

/** Polls until `ready` holds for a reading (the first scored frame/window), or fails with the last reading. */
async function waitForLive<T>(page: Page, api: LiveApi, schema: v.GenericSchema<unknown, T>, ready: (reading: T) => boolean, pageErrors: string[]): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last: unknown;
  await page.waitForFunction(() => Reflect.get(window, 'zspDebug') !== undefined, undefined, { timeout: READY_TIMEOUT_MS });
  for (;;) {
    const { value } = await readLive(page, api);
    last = value;
    if (value !== null) {
      const reading = checked(schema, value, api);
      if (ready(reading)) return;
    }
    const alert = await page.locator('[role="alert"]').allTextContents();
    if (alert.some((text) => /camera|microphone|permission|live/i.test(text))) throw new Error(`the app shows: ${alert.join(' | ')}`);
    if (pageErrors.length > 0) throw new Error(`page error: ${pageErrors[0]}`);
    if (Date.now() > deadline) throw new Error(`no live result within ${READY_TIMEOUT_MS / 60_000} min; last reading ${JSON.stringify(last)?.slice(0, 300)}`);
    await page.waitForTimeout(500);
  }
}

// ---------------------------------------------------------------------------------------------
// Fake devices.

/** Two shape pictures as a looping y4m (ffmpeg): the same frames every run. */
function makeCameraFile(dir: string): string {
  const shapes = [
    shapeImage('live-red-circle.png', { shape: 'circle', colour: 'red', ...CAMERA_SIZE_PX, size: 0.6 }),
    shapeImage('live-blue-square.png', { shape: 'square', colour: 'blue', ...CAMERA_SIZE_PX, size: 0.6 }),
  ];
  const inputs = shapes.flatMap((shape) => {
    const path = join(dir, shape.name);
    writeFileSync(path, shape.buffer);
    return ['-loop', '1', '-framerate', String(CAMERA_FPS), '-t', String(SHAPE_SECONDS), '-i', path];
  });
  const out = join(dir, 'camera.y4m');
  const concat = `${shapes.map((_, i) => `[${i}:v]`).join('')}concat=n=${shapes.length}:v=1:a=0[v]`;
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...inputs, '-filter_complex', concat, '-map', '[v]', '-pix_fmt', 'yuv420p', '-r', String(CAMERA_FPS), '-f', 'yuv4mpegpipe', out]);
  return out;
}

/** The spoken words with pauses, 48 kHz mono 16-bit (sox), looped by Chromium. */
function makeMicrophoneFile(dir: string): { path: string; seconds: number } {
  const parts: string[] = [];
  const pause = (seconds: number, name: string) => {
    const path = join(dir, name);
    execFileSync('sox', ['-n', '-r', String(MIC_SAMPLE_RATE_HZ), '-c', '1', '-b', '16', path, 'trim', '0', String(seconds)]);
    return path;
  };
  const silence = pause(MIC_PAUSE_S, 'pause.wav');
  for (const [i, word] of MIC_WORDS.entries()) {
    const path = join(dir, `${i}-${word}.wav`);
    execFileSync('sox', [join(repoRoot, 'e2e/fixtures/audio/words', word, `${MIC_VOICE}.flac`), '-r', String(MIC_SAMPLE_RATE_HZ), '-c', '1', '-b', '16', path]);
    parts.push(path, silence);
  }
  const out = join(dir, 'microphone.wav');
  execFileSync('sox', [...parts, out]);
  const seconds = Number(execFileSync('soxi', ['-D', out]).toString().trim());
  return { path: out, seconds };
}

// ---------------------------------------------------------------------------------------------
// The live runs.

interface LatencySummary {
  count: number;
  medianMs: number;
  p95Ms: number;
}

function summarise(values: readonly number[]): LatencySummary {
  return { count: values.length, medianMs: quantile(values, 0.5), p95Ms: quantile(values, 0.95) };
}

/**
 * The latencies of the results between the two readings: the app keeps its latest ≤ 120 in order,
 * so they are the last (results since the first reading) of the second reading's list, or all of
 * that list when more results came than it keeps.
 */
function latenciesBetween(last: readonly number[], resultsSinceFirst: number): number[] {
  return resultsSinceFirst > 0 ? last.slice(-Math.min(resultsSinceFirst, last.length)) : [];
}

export interface LiveCameraReading {
  url: string;
  measuredMs: number;
  first: CameraSnapshot;
  last: CameraSnapshot;
  /** Frames scored per second between the two readings (the app's counters over the page's clock). */
  fps: number;
  offeredFps: number;
  droppedFps: number;
  latency: LatencySummary;
  pageErrors: string[];
}

export interface LiveMicrophoneReading {
  url: string;
  measuredMs: number;
  first: MicrophoneSnapshot;
  last: MicrophoneSnapshot;
  audioSeconds: number;
  /** Windows scored per second of captured audio between the two readings. */
  scoredPerAudioSecond: number;
  /** Windows with sound, offered to the scheduler (silent ones are not offered). */
  offeredPerAudioSecond: number;
  silentPerAudioSecond: number;
  droppedPerAudioSecond: number;
  latency: LatencySummary;
  pageErrors: string[];
}

async function withLivePage<T>(deviceArgs: string[], url: string, run: (page: Page, pageErrors: string[]) => Promise<T>): Promise<T> {
  const browser: Browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', ...deviceArgs],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // Local only, like the e2e network guard (the Hub mimic is on 127.0.0.1 too).
    await context.route((target) => !['127.0.0.1', 'localhost'].includes(target.hostname), (route) => route.abort('blockedbyclient'));
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') log(`  [app ${message.type()}] ${message.text().slice(0, 300)}`);
    });
    await page.goto(url);
    return await run(page, pageErrors);
  } finally {
    await browser.close();
  }
}

/** Waits for live mode's first result, warms up, then reads the debug API twice, the measuring time apart. */
async function measureLive<T>(
  page: Page,
  api: LiveApi,
  schema: v.GenericSchema<unknown, T>,
  ready: (reading: T) => boolean,
  pageErrors: string[],
  quick: boolean,
): Promise<{ a: { atMs: number }; b: { atMs: number }; first: T; last: T }> {
  await waitForLive(page, api, schema, ready, pageErrors);
  const pace = quick ? 'quick' : 'full';
  log(`  first result; warming up ${WARMUP_MS[pace] / 1000} s`);
  await page.waitForTimeout(WARMUP_MS[pace]);
  const a = await readLive(page, api);
  await page.waitForTimeout(MEASURE_MS[pace]);
  const b = await readLive(page, api);
  return { a, b, first: checked(schema, a.value, api), last: checked(schema, b.value, api) };
}

async function liveCamera(origin: string, plan: ModelPlan, hubUrl: string | null, y4m: string, quick: boolean): Promise<LiveCameraReading> {
  const params = new URLSearchParams({ live: 'camera', debug: '1', backend: 'wasm', model: plan.appModelId, labels: CAMERA_LABELS.join(','), template: CAMERA_TEMPLATE });
  if (hubUrl) params.set('hub', hubUrl);
  const url = `${origin}/?${params.toString()}`;
  log(`live camera (${plan.title}): ${url}`);
  return withLivePage([`--use-file-for-fake-video-capture=${y4m}`], url, async (page, pageErrors) => {
    const { a, b, first, last } = await measureLive(page, 'liveCamera', cameraSnapshotSchema, (s) => s.running && s.framesScored > 0, pageErrors, quick);
    const seconds = (b.atMs - a.atMs) / 1000;
    return {
      url,
      measuredMs: b.atMs - a.atMs,
      first,
      last,
      fps: (last.framesScored - first.framesScored) / seconds,
      offeredFps: (last.framesOffered - first.framesOffered) / seconds,
      droppedFps: (last.framesDropped - first.framesDropped) / seconds,
      latency: summarise(latenciesBetween(last.latenciesMs, last.framesScored - first.framesScored)),
      pageErrors,
    };
  });
}

async function liveMicrophone(origin: string, wav: string, quick: boolean): Promise<LiveMicrophoneReading> {
  const params = new URLSearchParams({ live: 'microphone', debug: '1', backend: 'wasm', model: WHISPER_MODEL_ID, labels: MIC_WORDS.join(','), template: DEFAULT_WHISPER_TEMPLATE });
  const url = `${origin}/?${params.toString()}`;
  log(`live microphone (${WHISPER_MODEL_ID}): ${url}`);
  return withLivePage([`--use-file-for-fake-audio-capture=${wav}`], url, async (page, pageErrors) => {
    const { a, b, first, last } = await measureLive(page, 'liveMicrophone', microphoneSnapshotSchema, (s) => s.running && s.windowsScored > 0, pageErrors, quick);
    const audioSeconds = last.capturedSeconds - first.capturedSeconds;
    const per = (count: number) => (audioSeconds > 0 ? count / audioSeconds : Number.NaN);
    return {
      url,
      measuredMs: b.atMs - a.atMs,
      first,
      last,
      audioSeconds,
      scoredPerAudioSecond: per(last.windowsScored - first.windowsScored),
      offeredPerAudioSecond: per(last.windowsOffered - first.windowsOffered),
      silentPerAudioSecond: per(last.windowsSilent - first.windowsSilent),
      droppedPerAudioSecond: per(last.windowsDropped - first.windowsDropped),
      latency: summarise(latenciesBetween(last.latenciesMs, last.windowsScored - first.windowsScored)),
      pageErrors,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// The figures.

/** When and under what load each figure was measured (a run of one figure keeps the others' readings). */
interface FigureRun {
  measuredAt: string;
  /** 1-min load average when the figure started and ended. */
  loadavg: [number, number];
}

export interface LiveCameraFigure extends FigureRun {
  key: LiveKey;
  title: string;
  appModelId: string;
  live: LiveCameraReading | null;
  /** Why there is no live reading (the build has no live mode, the model did not load, …). */
  liveError: string | null;
  pure: LiveVisionRate[];
  /** Mean of the pure readings' medians, in runs per second. */
  pureRate: number;
  /** live fps / pure rate (target ≥ 0.8). */
  ratio: number | null;
  /** live fps / min(pure rate, frames offered per second): 1 = every frame the camera gave that the model could take. */
  captureBoundRatio: number | null;
}

export interface LiveMicrophoneFigure extends FigureRun {
  key: 'live-whisper';
  title: string;
  appModelId: string;
  live: LiveMicrophoneReading | null;
  liveError: string | null;
  pure: LiveWhisperWindowRate[];
  /** Windows per second of compute: encode + score, and with the transcription. */
  pureScoreRate: number;
  pureWithTranscriptRate: number;
  /** Live windows scored per audio second / pure rate (with the transcription, the timeline's work per window). */
  ratio: number | null;
  /** Scored / offered (the app offers only windows with sound; silent ones are counted apart): 1 = it kept up with every window that had sound. */
  keptUp: number | null;
}

export interface LiveRun {
  generatedAt: string;
  quick: boolean;
  machine: BenchMachine;
  dist: string;
  camera: { fps: number; side: string; file: string };
  microphone: { words: string[]; seconds: number };
  figures: Array<LiveCameraFigure | LiveMicrophoneFigure>;
}

const rateOf = (msPerRun: readonly number[]) => 1000 / median(msPerRun);
const meanOf = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

async function pureVision(benchPage: Page, plan: ModelPlan, quick: boolean): Promise<LiveVisionRate> {
  log(`pure vision session.run, batch 1 (${plan.title})`);
  await freshWorker(benchPage);
  const result = await call(benchPage, 'liveVisionRate', { modelId: plan.benchModelId, minSeconds: quick ? 1 : 3, reps: quick ? 2 : 3, warmupRuns: 3 });
  await freshWorker(benchPage); // the model's memory and ORT's threads go before the app runs
  return result;
}

async function pureWhisper(benchPage: Page, quick: boolean): Promise<LiveWhisperWindowRate> {
  log(`pure Whisper window (${WHISPER_MODEL_ID})`);
  await freshWorker(benchPage);
  const prompts = buildPrompts(DEFAULT_WHISPER_TEMPLATE, MIC_WORDS);
  const result = await call(benchPage, 'liveWhisperWindowRate', { modelId: WHISPER_MODEL_ID, windowSeconds: PURE_WINDOW_S, prompts, reps: quick ? 3 : 8, warmupRuns: 1 });
  await freshWorker(benchPage);
  return result;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] ?? error.message : String(error);
}

export async function benchLive(options: { dist: string | undefined; quick: boolean; keys: readonly LiveKey[] }): Promise<LiveRun> {
  const { quick, keys } = options;
  const generatedAt = new Date().toISOString();
  const loadavgAtStart = loadavg();
  const dist = await builtApp(repoRoot, options.dist, '.live-dist', 'live');
  const mediaDir = join(tmpdir(), `zsp-live-bench-${process.pid}`);
  mkdirSync(mediaDir, { recursive: true });
  const y4m = makeCameraFile(mediaDir);
  const microphone = makeMicrophoneFile(mediaDir);
  const app = await previewBuild(repoRoot, dist);
  const plans = CAMERA_MODELS.filter((plan) => keys.includes(plan.key));
  const hub = plans.some((plan) => plan.hubDir) ? await HubServer.start(Object.fromEntries(plans.flatMap((plan) => (plan.hubDir ? [[plan.appModelId, plan.hubDir]] : [])))) : null;
  const { server, origin: benchOrigin } = await startBenchServer(repoRoot);
  const benchBrowser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  // Playwright's pipe does not keep Node alive on its own while a page call is pending.
  const keepAlive = setInterval(() => {}, 60_000);
  const figures: LiveRun['figures'] = [];
  try {
    const benchPage = await benchBrowser.newPage();
    benchPage.on('pageerror', (error) => log(`  [bench page error] ${error.message}`));
    await benchPage.goto(`${benchOrigin}/bench/browser/index.html`);
    await benchPage.waitForFunction(() => document.title === 'bench ready');

    for (const plan of plans) {
      const measuredAt = new Date().toISOString();
      const loadAtStart = loadavg()[0] ?? 0;
      const pure = [await pureVision(benchPage, plan, quick)];
      let live: LiveCameraReading | null = null;
      let liveError: string | null = null;
      try {
        live = await liveCamera(app.origin, plan, plan.hubDir && hub ? hub.url : null, y4m, quick);
        log(`  live: ${live.fps.toFixed(2)} frames/s scored (${live.offeredFps.toFixed(1)} offered), latency median ${live.latency.medianMs.toFixed(0)} ms, p95 ${live.latency.p95Ms.toFixed(0)} ms`);
      } catch (error) {
        liveError = errorText(error);
        log(`  live camera failed: ${liveError}`);
      }
      if (!quick) pure.push(await pureVision(benchPage, plan, quick));
      const pureRate = meanOf(pure.map((reading) => rateOf(reading.msPerRun)));
      figures.push({
        measuredAt,
        loadavg: [loadAtStart, loadavg()[0] ?? 0],
        key: plan.key,
        title: plan.title,
        appModelId: plan.appModelId,
        live,
        liveError,
        pure,
        pureRate,
        ratio: live ? live.fps / pureRate : null,
        captureBoundRatio: live ? live.fps / Math.min(pureRate, live.offeredFps) : null,
      });
    }

    if (keys.includes('live-whisper')) {
      const measuredAt = new Date().toISOString();
      const loadAtStart = loadavg()[0] ?? 0;
      const pure = [await pureWhisper(benchPage, quick)];
      let live: LiveMicrophoneReading | null = null;
      let liveError: string | null = null;
      try {
        live = await liveMicrophone(app.origin, microphone.path, quick);
        log(`  live: ${live.scoredPerAudioSecond.toFixed(2)} windows scored per audio second (${live.offeredPerAudioSecond.toFixed(2)} offered, ${live.silentPerAudioSecond.toFixed(2)} silent)`);
      } catch (error) {
        liveError = errorText(error);
        log(`  live microphone failed: ${liveError}`);
      }
      if (!quick) pure.push(await pureWhisper(benchPage, quick));
      const pureScoreRate = meanOf(pure.map((reading) => rateOf(reading.scoreMs)));
      const pureWithTranscriptRate = meanOf(pure.map((reading) => rateOf(reading.scoreMs.map((ms, i) => ms + (reading.transcribeMs[i] ?? 0)))));
      // The app offers the scheduler only windows with sound; silent windows are counted apart and never offered.
      const sounding = live ? live.offeredPerAudioSecond : 0;
      figures.push({
        measuredAt,
        loadavg: [loadAtStart, loadavg()[0] ?? 0],
        key: 'live-whisper',
        title: 'whisper-words (built-in)',
        appModelId: WHISPER_MODEL_ID,
        live,
        liveError,
        pure,
        pureScoreRate,
        pureWithTranscriptRate,
        ratio: live ? live.scoredPerAudioSecond / pureWithTranscriptRate : null,
        keptUp: live && sounding > 0 ? live.scoredPerAudioSecond / sounding : null,
      });
    }
  } finally {
    clearInterval(keepAlive);
    await benchBrowser.close();
    await server.close();
    await hub?.stop();
    await app.close();
    rmSync(mediaDir, { recursive: true, force: true });
  }
  return {
    generatedAt,
    quick,
    machine: benchMachine(loadavgAtStart),
    dist,
    camera: { fps: CAMERA_FPS, side: `${CAMERA_SIZE_PX.width}×${CAMERA_SIZE_PX.height}`, file: `y4m, ${SHAPE_SECONDS} s red circle then ${SHAPE_SECONDS} s blue square, looped` },
    microphone: { words: MIC_WORDS, seconds: microphone.seconds },
    figures,
  };
}

// ---------------------------------------------------------------------------------------------
// Report.

const fixed = (value: number | null | undefined, digits = 2) => (value === null || value === undefined || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits));
const msText = (value: number) => (Number.isFinite(value) ? `${value.toFixed(value < 10 ? 1 : 0)} ms` : 'n/a');

function isCamera(figure: LiveCameraFigure | LiveMicrophoneFigure): figure is LiveCameraFigure {
  return figure.key !== 'live-whisper';
}

export function renderLive(run: LiveRun): string[] {
  const lines = ['| Model | Live in the built app (WASM) | Pure model, same run | Ratio (target ≥ 0.8) |', '|---|---|---|---|'];
  for (const figure of run.figures) {
    if (isCamera(figure)) {
      const pureMs = figure.pure.map((reading) => msText(median(reading.msPerRun))).join(' / ');
      const pure = `vision \`session.run\`, batch 1, ${figure.pure[0]?.inputDims.slice(1).join('×') ?? ''}: ${fixed(figure.pureRate, 1)} runs/s (${pureMs} per run${figure.pure.length > 1 ? ', before / after' : ''})`;
      const live = figure.live
        ? `camera ${run.camera.fps} fps: **${fixed(figure.live.fps, 1)} frames/s** scored (${fixed(figure.live.offeredFps, 1)} offered, ${fixed(figure.live.droppedFps, 1)} dropped per s); latency median ${msText(figure.live.latency.medianMs)}, p95 ${msText(figure.live.latency.p95Ms)} (${figure.live.latency.count} frames); backend ${figure.live.last.backend}`
        : `not measured: ${figure.liveError ?? 'unknown'}`;
      const ratio = figure.ratio === null ? 'n/a' : `**${fixed(figure.ratio)}** (capture-bound: ${fixed(figure.captureBoundRatio)})`;
      lines.push(`| ${figure.title} | ${live} | ${pure} | ${ratio} |`);
    } else {
      const pure = `encode + score, ${PURE_WINDOW_S} s window, ${figure.pure[0]?.scoreMs.length ?? 0} windows: ${fixed(figure.pureScoreRate, 1)} windows/s; with the transcription: ${fixed(figure.pureWithTranscriptRate, 1)} windows/s`;
      const live = figure.live
        ? `microphone (${run.microphone.words.length} words with pauses, ${fixed(run.microphone.seconds, 1)} s looped), ${fixed(figure.live.audioSeconds, 1)} s of audio: **${fixed(figure.live.scoredPerAudioSecond)} windows scored per audio second** (${fixed(figure.live.offeredPerAudioSecond)} offered, ${fixed(figure.live.silentPerAudioSecond)} silent, ${fixed(figure.live.droppedPerAudioSecond)} dropped; window hop ≈ ${fixed(1 / (figure.live.offeredPerAudioSecond + figure.live.silentPerAudioSecond))} s); kept up with ${fixed((figure.keptUp ?? Number.NaN) * 100, 0)}% of the windows with sound; latency median ${msText(figure.live.latency.medianMs)}, p95 ${msText(figure.live.latency.p95Ms)} (${figure.live.latency.count} windows); backend ${figure.live.last.backend}`
        : `not measured: ${figure.liveError ?? 'unknown'}`;
      lines.push(`| ${figure.title} | ${live} | ${pure} | ${figure.ratio === null ? 'n/a' : `**${fixed(figure.ratio)}**`} |`);
    }
  }
  lines.push(
    '',
    `Each figure (1-min load average at its start → end): ${run.figures.map((figure) => `${figure.title}, ${figure.measuredAt.slice(0, 16).replace('T', ' ')} UTC, ${figure.loadavg.map((load) => load.toFixed(2)).join(' → ')}`).join('; ')}.`,
  );
  const threads = run.figures.flatMap((figure) => figure.pure.map((reading) => reading.ortNumThreads));
  lines.push(
    '',
    `${run.generatedAt.slice(0, 16).replace('T', ' ')} UTC${run.quick ? ', quick run' : ''}; the built app (${run.dist.slice(repoRoot.length + 1) || run.dist}) served by \`vite preview\`; ` +
      `headless Chromium with a fake camera (${run.camera.side}, ${run.camera.file}) and a fake microphone; ORT-web threads in the bench worker: ${[...new Set(threads)].join('/')}; ` +
      `${run.machine.logicalCpus} logical CPUs (${run.machine.cpuModel}), load average ${run.machine.loadavgAtStart[0]?.toFixed(2)} at start, ${run.machine.loadavgAtEnd[0]?.toFixed(2)} at end.`,
  );
  return lines;
}
