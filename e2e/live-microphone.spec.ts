/**
 * Live microphone mode with Chromium's fake capture device. The device plays
 * fixtures/audio/live-words.wav once (`%noloop`): 2 s of silence (Chromium plays from getUserMedia
 * on, before the capture worklet is loaded), then "up", "left", "go", each followed by 2.5 s of
 * silence (espeak-ng, held-out voice). The timeline must show the words in order with silent
 * windows between them; a capture becomes a clip that is scored like any other; denied
 * permission and a missing microphone are explained. One CLAP check: windows get scored.
 * Each test starts its own Chromium, because the microphone is chosen by command-line flags.
 */
import { join } from 'node:path';
import type { Browser, PlaywrightWorkerArgs } from '@playwright/test';
import { test, expect } from './support/test';
import { BUILTIN_WHISPER_ID, WHISPER_WORDS } from './pages/audio-page';
import { LiveMicrophonePage, installMediaProbe, type LiveWindowRow } from './pages/live-microphone-page';
import { FaultsPage } from './pages/faults-page';
import { ShellPage } from './pages/shell-page';
import { AUDIO_FIXTURES_DIR } from './support/audio-fixtures';
import { CHROMIUM_ARGS, CHROMIUM_PATH, fakeMicrophoneArgs } from './support/chromium';
import { HubServer, REPO_ROOT } from './support/hub-server';

/** The fixture's length: 2 s of silence + 3 × (0.2 s lead-in + word + 2.5 s of silence). */
const LIVE_WORDS_SECONDS = 11.37;
const SPOKEN = ['up', 'left', 'go'] as const;

async function launch(playwright: PlaywrightWorkerArgs['playwright'], extraArgs: string[], baseURL: string | undefined): Promise<{ browser: Browser; live: LiveMicrophonePage }> {
  const browser = await playwright.chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...extraArgs] });
  // Guarded like every context (e2e/support/test.ts).
  const context = await browser.newContext({ baseURL });
  await installMediaProbe(context);
  return { browser, live: new LiveMicrophonePage(await context.newPage()) };
}

/** Indexes of the first scored window whose top label is each word; -1 when none. */
function firstIndexOf(rows: readonly LiveWindowRow[], word: string): number {
  return rows.findIndex((row) => !row.silent && row.label === word);
}

test('Whisper live: the timeline shows "up", "left", "go" in order with silent windows between; a capture is scored like a clip', async ({ playwright, baseURL }) => {
  const { browser, live } = await launch(playwright, fakeMicrophoneArgs(`${join(AUDIO_FIXTURES_DIR, 'live-words.wav')}%noloop`), baseURL);
  try {
    // The capture worklet is a built module loaded with audioWorklet.addModule: the app's policy must allow it.
    const shell = new ShellPage(live.page);
    await shell.recordViolations();
    await live.open({ model: BUILTIN_WHISPER_ID, backend: 'wasm', debug: true, labels: WHISPER_WORDS });
    await live.expectModelReady({ backend: 'wasm' });
    expect(await live.page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')).toContain("script-src 'self'");
    await expect(live.counters()).resolves.toBeNull();
    await live.listen({ windowSeconds: 1.5, overlap: 0.5 });
    await expect(live.view).toHaveAttribute('data-backend', 'wasm');

    // Capture once "left" has been heard: the last 5 s then hold speech.
    await expect(live.windows.and(live.page.locator('[data-label="left"]')).first()).toBeVisible({ timeout: 60_000 });
    await live.captureButton.click();

    // Past the end of the file (silence after it), every window offered scored or dropped.
    await live.waitForHeard(LIVE_WORDS_SECONDS + 1.5);
    // Hidden tab: listening pauses (the browser suspends the AudioContext), so the timeline and the counters hold still to be compared.
    await live.setHidden(true);
    await expect(live.view).toHaveAttribute('data-state', 'paused');
    await expect.poll(async () => (await live.mediaProbe()).contextStates).toEqual(['suspended']);
    const counters = await live.waitForHeard(LIVE_WORDS_SECONDS + 1.5);
    const rows = await live.timelineRows();
    test.info().annotations.push({ type: 'timeline', description: JSON.stringify(rows) }, { type: 'counters', description: JSON.stringify({ ...counters, latenciesMs: counters.latenciesMs.length }) });
    const indexes = SPOKEN.map((word) => firstIndexOf(rows, word));
    expect(indexes.every((index) => index >= 0), `each word heard: ${JSON.stringify(rows)}`).toBe(true);
    expect(indexes, `words in the order spoken: ${JSON.stringify(rows)}`).toEqual([...indexes].sort((a, b) => a - b));
    for (let k = 1; k < indexes.length; k++) {
      const between = rows.slice(indexes[k - 1]! + 1, indexes[k]);
      expect(between.some((row) => row.silent), `a silent window between ${SPOKEN[k - 1]} and ${SPOKEN[k]}`).toBe(true);
    }
    // Silent windows carry no score and were never sent; start times increase by the 0.75 s hop within a run.
    for (const row of rows.filter((r) => r.silent)) expect(row.score).toBeNull();
    expect(counters.windowsSilent).toBe(rows.filter((r) => r.silent).length);
    // windowsScored counts only windows shown: every scored row, and no more.
    expect(counters.windowsScored).toBe(rows.filter((r) => !r.silent).length);
    expect(counters.windowsScored).toBeGreaterThanOrEqual(SPOKEN.length);
    expect(rows.map((r) => r.startMs)).toEqual([...rows.map((r) => r.startMs)].sort((a, b) => a - b));
    // Whisper's transcript of a word's window.
    expect(rows.filter((r) => !r.silent).every((r) => r.transcript !== null), `every scored window transcribed: ${JSON.stringify(rows)}`).toBe(true);
    // The smoothed top (smoothing off by default: the latest scored window's label) and the meters.
    await expect(live.top).toHaveAttribute('data-label', /.+/);
    expect(Number(await live.latency.getAttribute('data-latency-ms'))).toBeGreaterThan(0);

    // The capture: a WAV clip in the workspace, decoded and scored (a silent or broken file would fail its row).
    const capture = live.page.locator('[data-testid="item"][data-name^="Live capture 1"]');
    await expect(capture).toBeVisible();
    const name = (await capture.getAttribute('data-name'))!;
    // At most the last 5 s (less when fewer have been heard), and more than the ~4 s before "left" ended.
    const seconds = Number(/^Live capture 1 \((\d+\.\d) s\)\.wav$/.exec(name)?.[1]);
    expect(seconds).toBeGreaterThan(3);
    expect(seconds).toBeLessThanOrEqual(5);
    await live.expectItemState(name, 'done');
    await live.waitForPredictionLabels(name, WHISPER_WORDS);

    // Stop: the view goes and the debug API says not live; the browser says every track ended
    // (its microphone indicator goes off) and the AudioContext is closed.
    await live.stopButton.click();
    await expect(live.view).toHaveCount(0);
    await expect(live.counters()).resolves.toBeNull();
    await expect(live.startButton).toBeEnabled();
    await expect.poll(() => live.mediaProbe()).toEqual({ trackStates: ['ended'], contextStates: ['closed'] });
    expect(shell.violations(), 'no policy violation while listening').toEqual([]);
  } finally {
    await browser.close();
  }
});

test('denied microphone permission is explained by live mode, and the rest of the view still works', async ({ playwright, baseURL }) => {
  const { browser, live } = await launch(playwright, ['--use-fake-device-for-media-stream', '--deny-permission-prompts'], baseURL);
  try {
    await live.open({ model: BUILTIN_WHISPER_ID, backend: 'wasm' });
    await live.startButton.click();
    await expect(live.error).toContainText('denied');
    await expect(live.error).toContainText('press Listen');
    await expect(live.view).toHaveCount(0);
    await expect(live.startButton).toBeEnabled();
  } finally {
    await browser.close();
  }
});

test('a machine with no microphone is explained by live mode', async ({ playwright, baseURL }) => {
  const { browser, live } = await launch(playwright, ['--use-fake-ui-for-media-stream'], baseURL);
  try {
    await live.open({ model: BUILTIN_WHISPER_ID, backend: 'wasm' });
    await live.startButton.click();
    await expect(live.error).toContainText('No microphone');
    await expect(live.view).toHaveCount(0);
  } finally {
    await browser.close();
  }
});

test('CLAP live from a ?live=microphone link: windows get scored; a hidden tab pauses; a worker crash recovers; an unplugged microphone is explained and everything stops; leaving the audio task stops listening (tiny CLAP through the Hub mimic)', async ({ playwright, baseURL }) => {
  const hub = await HubServer.start({ 'test-org/clap-tiny': join(REPO_ROOT, 'e2e', 'fixtures', 'models', 'clap-tiny') });
  // The looping "up" file: sound every ~2 s.
  const { browser, live } = await launch(playwright, fakeMicrophoneArgs(join(AUDIO_FIXTURES_DIR, 'mic-up.wav')), baseURL);
  try {
    const labels = ['dog barking', 'rain', 'speech'];
    await live.openLive({ model: 'test-org/clap-tiny', hub: hub.url, backend: 'wasm', debug: true, labels });
    await live.expectModelReady({ backend: 'wasm', model: 'test-org/clap-tiny' });
    // Nobody pressed Listen: the link started it (after the permission prompt, granted by the fake UI).
    await expect(live.view).toBeVisible();
    await expect(live.view).toHaveAttribute('data-backend', 'wasm');
    await expect.poll(async () => (await live.counters())?.windowsScored ?? 0, { timeout: 60_000 }).toBeGreaterThanOrEqual(2);
    // Each scored window's label and score are the top of its own probabilities over the labels (which sum to 1);
    // read in one go, as the timeline keeps moving.
    const scored = await live.windows.evaluateAll((elements) =>
      elements
        .filter((element) => element.getAttribute('data-silent') !== 'true')
        .map((element) => ({
          label: element.getAttribute('data-label'),
          score: Number(element.getAttribute('data-score')),
          probabilities: element.getAttribute('data-probabilities'),
          transcript: element.getAttribute('data-transcript'),
        })),
    );
    expect(scored.length).toBeGreaterThanOrEqual(2);
    for (const row of scored) {
      const parsed: unknown = JSON.parse(row.probabilities ?? 'null');
      const probabilities = Array.isArray(parsed) ? parsed.map(Number) : [];
      expect(probabilities).toHaveLength(labels.length);
      expect(probabilities.reduce((sum, p) => sum + p, 0)).toBeCloseTo(1, 2);
      const best = Math.max(...probabilities);
      expect(row.score).toBeCloseTo(best, 3);
      expect(row.label).toBe(labels[probabilities.indexOf(best)]);
      expect(row.transcript, 'CLAP does not transcribe').toBeNull();
    }

    // Hidden: capture and inference pause (the browser suspends the AudioContext); visible again: windows flow again.
    await live.setHidden(true);
    await expect(live.view).toHaveAttribute('data-state', 'paused');
    await expect.poll(async () => (await live.mediaProbe()).contextStates).toEqual(['suspended']);
    const paused = (await live.counters())!;
    await live.setHidden(false);
    await expect(live.view).toHaveAttribute('data-state', 'live');
    await expect.poll(async () => (await live.counters())?.windowsScored ?? 0, { timeout: 60_000 }).toBeGreaterThan(paused.windowsScored);

    // The audio worker crashes while listening: it restarts, the timeline gets scored windows again, no alert is left.
    const report = await new FaultsPage(live.page).crashWorker('audio', 0);
    expect(report.restarted).toBe(true);
    const afterCrash = (await live.counters())!;
    await expect.poll(async () => (await live.counters())?.windowsScored ?? 0, { timeout: 60_000 }).toBeGreaterThan(afterCrash.windowsScored);
    await expect(live.error).toHaveCount(0);
    await expect(live.view).toHaveAttribute('data-state', 'live');

    // The device goes away mid-stream: a clear message, live mode stops, the microphone is released.
    await live.unplugMicrophone();
    await expect(live.error).toContainText('disconnected');
    await expect(live.view).toHaveCount(0);
    await expect.poll(() => live.mediaProbe()).toEqual({ trackStates: ['ended'], contextStates: ['closed'] });
    await expect(live.modelStatus).toHaveAttribute('data-state', 'ready');

    // Listening again, then leaving the audio task (its Stop button goes with the view): the browser
    // says the new track ended and the new AudioContext closed, and the debug API says not live.
    await live.startButton.click();
    await expect(live.view).toBeVisible();
    await expect.poll(async () => (await live.mediaProbe()).trackStates).toEqual(['ended', 'live']);
    await live.page.getByTestId('task-image').click();
    await expect.poll(() => live.mediaProbe()).toEqual({ trackStates: ['ended', 'ended'], contextStates: ['closed', 'closed'] });
    await expect(live.counters()).resolves.toBeNull();
  } finally {
    await browser.close();
    await hub.stop();
  }
});
