import { describe, expect, it } from 'vitest';
import type { ScoresByRule } from '../../../lib/audioScoring';
import type { AudioClip, ClipOutcome, ScoreRequest, TranscriptOutcome } from '../shared/protocol';
import { AudioEngine } from './audioEngine';
import type { AudioScorer, CaptionSpace, EncodeResult, EncodedWindow, ScoreCounters, Transcriber } from './audioScorer';
import type { LoadedAudio } from './loadAudioModel';

const RATE_HZ = 1_000;
const WINDOW_SECONDS = 2;

interface FakeWindow extends EncodedWindow {
  mean: number;
}

/** Scores a prompt by its length minus the window's mean sample: deterministic and cheap to check. */
class FakeScorer implements AudioScorer<FakeWindow> {
  readonly family: 'whisper' | 'clap' = 'whisper';
  readonly captions: CaptionSpace | null = null;
  /** "Hears" the window's mean sample; `onTranscribe` runs inside each transcription (a test cancels from there). */
  readonly transcriber: Transcriber<FakeWindow> | null = {
    transcribe: (window, cancelled) => {
      this.transcribedWindows.push(window);
      this.onTranscribe();
      return Promise.resolve(cancelled() ? null : `heard ${window.mean.toFixed(2)}`);
    },
  };
  readonly sampleRate = RATE_HZ;
  readonly windowSeconds = WINDOW_SECONDS;
  encodeCalls = 0;
  scoredPrompts: string[][] = [];
  transcribedWindows: FakeWindow[] = [];
  onTranscribe: () => void = () => undefined;
  /** What each encoded window claims to weigh (a test fills the engine's encoder cache without allocating it). */
  windowBytes = 8;
  forgottenWindows: FakeWindow[] = [];

  encode(samples: Float32Array): Promise<EncodeResult<FakeWindow>> {
    this.encodeCalls++;
    const mean = samples.reduce((s, x) => s + x, 0) / samples.length;
    // The pooled vector points along (mean, 1): the clip embedding's direction shows which windows went in.
    return Promise.resolve({ encoded: { mean, bytes: this.windowBytes }, pooled: Float32Array.from([mean, 1]), input: null });
  }

  forgetWindow(window: FakeWindow): void {
    this.forgottenWindows.push(window);
  }

  /** The two rules differ (sum = mean − 1), so a test can tell which one the engine used. */
  score(window: FakeWindow, prompts: readonly string[], counters: ScoreCounters): Promise<ScoresByRule> {
    this.scoredPrompts.push([...prompts]);
    counters.decoderRuns++;
    counters.labelRowsScored += prompts.length;
    const mean = Float32Array.from(prompts, (p) => p.length - window.mean);
    return Promise.resolve({ mean, 'sum-with-eot': mean.map((x) => x - 1) });
  }

  async warmUp(): Promise<void> {}
  async dispose(): Promise<void> {}
}

function engineWith(scorer: FakeScorer): AudioEngine {
  const model: LoadedAudio = {
    entry: { id: 'fake', title: 'fake', task: 'audio', family: 'whisper', builtin: true, multilingual: true, dtypes: ['fp32'], note: '' },
    scorer,
    info: { modelId: 'fake', backend: 'wasm', dtype: 'fp32', threads: 1, loadMs: 0, warmupMs: 0 },
    sourceKey: 'builtin',
  };
  return new AudioEngine(model, false);
}

function clip(id: string, seconds: number, value: number, sampleRate = RATE_HZ): AudioClip {
  const samples = new Float32Array(Math.round(seconds * sampleRate)).fill(value);
  return { itemId: id, contentHash: `hash-${id}`, audio: { channels: [samples], sampleRate, fileSampleRate: null, durationSeconds: samples.length / sampleRate } };
}

/** One prompt per label (a single template, plain labels). */
function run(engine: AudioEngine, prompts: string[], clips: AudioClip[]): Promise<Map<string, ClipOutcome>> {
  return runClasses(engine, prompts.map((prompt) => [prompt]), clips);
}

async function transcribe(engine: AudioEngine, contentHashes: string[], isCancelled = () => false) {
  const outcomes = new Map<string, TranscriptOutcome>();
  const result = await engine.transcribe(
    { type: 'transcribe', requestId: 2, clips: contentHashes.map((contentHash) => ({ itemId: contentHash, contentHash })) },
    { isCancelled, onTranscript: (c, outcome) => outcomes.set(c.contentHash, outcome), onStats: () => undefined },
  );
  return { ...result, outcomes };
}

async function runClasses(engine: AudioEngine, classPrompts: string[][], clips: AudioClip[], aggregation: ScoreRequest['aggregation'] = 'mean'): Promise<Map<string, ClipOutcome>> {
  const outcomes = new Map<string, ClipOutcome>();
  const request: ScoreRequest = { type: 'score', requestId: 1, classPrompts, aggregation, clips, head: null };
  await engine.score(request, {
    isCancelled: () => false,
    onClip: (c, outcome) => outcomes.set(c.itemId, outcome),
    onProgress: () => undefined,
    onStats: () => undefined,
  });
  return outcomes;
}

describe('AudioEngine', () => {
  it('tells the scorer about every window its encoder cache drops, so what the scorer keeps per window goes with it', async () => {
    const scorer = new FakeScorer();
    // Three windows of 200 MB: the third pushes the first out of the 512 MB cache.
    scorer.windowBytes = 200 * 1024 * 1024;
    const engine = engineWith(scorer);
    await run(engine, [' a'], [clip('x', 1, 0.1), clip('y', 1, 0.2)]);
    expect(scorer.forgottenWindows).toEqual([]);
    await run(engine, [' a'], [clip('z', 1, 0.3)]);
    expect(scorer.forgottenWindows.map((window) => window.mean)).toEqual([expect.closeTo(0.1, 6)]);
    expect(engine.currentStats().encoderCacheSize).toBe(2);
    // Scored again, the dropped window is encoded again (a new window object, a new key for the scorer).
    const encodedBefore = scorer.encodeCalls;
    await run(engine, [' b'], [{ itemId: 'x', contentHash: 'hash-x', audio: null }]);
    expect(scorer.encodeCalls - encodedBefore).toBe(1);
    expect(scorer.forgottenWindows.map((window) => window.mean)).toEqual([expect.closeTo(0.1, 6), expect.closeTo(0.2, 6)]);
  });

  it("counts each prepared clip's rate changes: the browser's (as reported) and its own", async () => {
    const engine = engineWith(new FakeScorer());
    const atModelRate = clip('a', 1, 0.5);
    const decodedAtFileRate = clip('b', 1, 0.5, 2 * RATE_HZ);
    const resampledByTheBrowser = clip('c', 1, 0.5, 2 * RATE_HZ);
    if (!atModelRate.audio || !decodedAtFileRate.audio || !resampledByTheBrowser.audio) throw new Error('clips carry audio');
    atModelRate.audio.fileSampleRate = RATE_HZ;
    decodedAtFileRate.audio.fileSampleRate = 2 * RATE_HZ;
    resampledByTheBrowser.audio.fileSampleRate = 3 * RATE_HZ;
    await run(engine, [' a'], [atModelRate, decodedAtFileRate, resampledByTheBrowser]);
    // 0 + 1 (worker) + 2 (browser and worker); a label edit prepares nothing again.
    expect(engine.currentStats().resamplings).toBe(3);
    await run(engine, [' a', ' b'], [{ itemId: 'a', contentHash: 'hash-a', audio: null }]);
    expect(engine.currentStats().resamplings).toBe(3);
  });

  it('encodes each window once; a label edit scores only the new prompt against the cached encodings', async () => {
    const scorer = new FakeScorer();
    const engine = engineWith(scorer);
    const first = await run(engine, [' a', ' bb'], [clip('x', 1, 0.5)]);
    expect(first.get('x')).toMatchObject({ ok: true, windows: 1, encodedNow: true });
    expect(scorer.encodeCalls).toBe(1);

    // The same clip again, without its audio: the worker already holds it.
    const edited = await run(engine, [' a', ' bb', ' ccc'], [{ itemId: 'x', contentHash: 'hash-x', audio: null }]);
    const outcome = edited.get('x');
    expect(outcome?.ok && Array.from(outcome.scores)).toEqual([1.5, 2.5, 3.5]);
    expect(outcome?.ok && outcome.encodedNow).toBe(false);
    expect(scorer.encodeCalls).toBe(1);
    expect(scorer.scoredPrompts).toEqual([[' a', ' bb'], [' ccc']]);
  });

  it('scores without transcribing; a transcribe request then reads the cached encoding, once per clip', async () => {
    const scorer = new FakeScorer();
    const engine = engineWith(scorer);
    const samples = new Float32Array(3 * RATE_HZ);
    samples.fill(1, 0, 2 * RATE_HZ); // window 0 mean 1, window 1 mean 0
    const scored = await run(engine, [' a'], [clip('x', 1, 0.5), { itemId: 'long', contentHash: 'hash-long', audio: { channels: [samples], sampleRate: RATE_HZ, fileSampleRate: null, durationSeconds: 3 } }]);
    expect(scored.get('x')).toMatchObject({ ok: true, transcript: null });
    expect(scorer.transcribedWindows).toHaveLength(0);
    expect(engine.currentStats().transcripts).toBe(0);
    const encodes = scorer.encodeCalls;

    const { cancelled, outcomes } = await transcribe(engine, ['hash-x', 'hash-long', 'never-sent']);
    expect(cancelled).toBe(false);
    expect(outcomes.get('hash-x')).toEqual({ ok: true, transcript: 'heard 0.50', coveredSeconds: null });
    // A long clip: its first window is transcribed, and the outcome says how much that covers.
    expect(outcomes.get('hash-long')).toEqual({ ok: true, transcript: 'heard 1.00', coveredSeconds: WINDOW_SECONDS });
    expect(outcomes.get('never-sent')).toMatchObject({ ok: false, kind: 'needs-audio' });
    expect(scorer.encodeCalls, 'the encoder does not run again for a transcript').toBe(encodes);
    expect(engine.currentStats().transcripts).toBe(2);

    // Kept per clip: asked again, or scored again, the transcript is there without another transcription.
    expect((await transcribe(engine, ['hash-x'])).outcomes.get('hash-x')).toMatchObject({ ok: true, transcript: 'heard 0.50' });
    expect((await run(engine, [' bb'], [{ itemId: 'x', contentHash: 'hash-x', audio: null }])).get('x')).toMatchObject({ ok: true, transcript: 'heard 0.50' });
    expect(scorer.transcribedWindows).toHaveLength(2);
    expect(engine.currentStats().transcripts).toBe(2);
  });

  it('a cancelled transcription stops: between clips, and mid-clip (its half transcript is dropped)', async () => {
    const scorer = new FakeScorer();
    const engine = engineWith(scorer);
    await run(engine, [' a'], [clip('a', 1, 0.25), clip('b', 1, 0.5), clip('c', 1, 0.75)]);

    // Cancelled while the second clip is being transcribed: it gets no transcript, the third isn't started.
    let cancelled = false;
    scorer.onTranscribe = () => {
      if (scorer.transcribedWindows.length === 2) cancelled = true;
    };
    const first = await transcribe(engine, ['hash-a', 'hash-b', 'hash-c'], () => cancelled);
    expect(first.cancelled).toBe(true);
    expect([...first.outcomes.keys()]).toEqual(['hash-a']);
    expect(scorer.transcribedWindows).toHaveLength(2);
    expect(engine.currentStats().transcripts).toBe(1);

    // Asked again: the clip already done is answered from what was kept; the others are transcribed.
    scorer.onTranscribe = () => undefined;
    const again = await transcribe(engine, ['hash-a', 'hash-b', 'hash-c']);
    expect(again.cancelled).toBe(false);
    expect([...again.outcomes.values()].map((outcome) => outcome.ok && outcome.transcript)).toEqual(['heard 0.25', 'heard 0.50', 'heard 0.75']);
    expect(scorer.transcribedWindows).toHaveLength(4);
    expect(engine.currentStats().transcripts).toBe(3);

    // Cancelled before it starts: nothing runs.
    const none = await transcribe(engine, ['hash-a'], () => true);
    expect(none).toMatchObject({ cancelled: true });
    expect(none.outcomes.size).toBe(0);
  });

  it('keeps every score rule from one decoder pass: switching rule runs no decoder again', async () => {
    const scorer = new FakeScorer();
    const engine = engineWith(scorer);
    const byMean = await runClasses(engine, [[' a'], [' bb']], [clip('x', 1, 0.5)], 'mean');
    const bySum = await runClasses(engine, [[' a'], [' bb']], [{ itemId: 'x', contentHash: 'hash-x', audio: null }], 'sum-with-eot');
    expect(scorer.scoredPrompts).toEqual([[' a', ' bb']]);
    const mean = byMean.get('x');
    const sum = bySum.get('x');
    expect(mean?.ok && Array.from(mean.scores)).toEqual([1.5, 2.5]);
    expect(sum?.ok && Array.from(sum.scores)).toEqual([0.5, 1.5]);
  });

  it('scores long clips window by window and averages; cuts at five minutes and says so', async () => {
    const scorer = new FakeScorer();
    const engine = engineWith(scorer);
    const samples = new Float32Array(5 * RATE_HZ);
    samples.fill(1, 0, 2 * RATE_HZ); // window 0 mean 1, window 1 mean 0, window 2 (1 s) mean 0
    const outcomes = await run(engine, [' a'], [{ itemId: 'long', contentHash: 'h', audio: { channels: [samples], sampleRate: RATE_HZ, fileSampleRate: null, durationSeconds: 5 } }]);
    const outcome = outcomes.get('long');
    expect(outcome?.ok && outcome.windows).toBe(3);
    // (2 − 1) + (2 − 0) + (2 − 0), averaged
    expect(outcome?.ok && outcome.scores[0]).toBeCloseTo(5 / 3, 6);

    const tenMinutes = await run(engine, [' a'], [clip('ten', 600, 0.1, 100)]);
    const cut = tenMinutes.get('ten');
    expect(cut?.ok && cut.durationSeconds).toBeCloseTo(600, 6);
    expect(cut?.ok && cut.scoredSeconds).toBeCloseTo(300, 6);
  });

  it('answers bad clips and missing audio per clip, without touching the others', async () => {
    const engine = engineWith(new FakeScorer());
    const outcomes = await run(engine, [' a'], [
      clip('silent', 1, 0),
      clip('short', 0.001, 0.5),
      { itemId: 'unknown', contentHash: 'never-sent', audio: null },
      clip('good', 1, 0.5),
    ]);
    expect(outcomes.get('silent')).toMatchObject({ ok: false, kind: 'bad-clip' });
    expect(outcomes.get('short')).toMatchObject({ ok: false, kind: 'bad-clip' });
    expect(outcomes.get('unknown')).toMatchObject({ ok: false, kind: 'needs-audio' });
    expect(outcomes.get('good')).toMatchObject({ ok: true });
  });

  it('computes zero-input scores once per prompt from a silent window', async () => {
    const scorer = new FakeScorer();
    const engine = engineWith(scorer);
    expect(Array.from(await engine.zeroInputScores([[' a']], 'mean'))).toEqual([2]);
    expect(Array.from(await engine.zeroInputScores([[' a'], [' bb']], 'mean'))).toEqual([2, 3]);
    expect(scorer.encodeCalls).toBe(1);
    expect(scorer.scoredPrompts).toEqual([[' a'], [' bb']]);
  });

  it('stops between clips when cancelled', async () => {
    const engine = engineWith(new FakeScorer());
    let calls = 0;
    const result = await engine.score(
      { type: 'score', requestId: 1, classPrompts: [[' a']], aggregation: 'mean', clips: [clip('a', 1, 0.5), clip('b', 1, 0.5)], head: null },
      { isCancelled: () => calls > 0, onClip: () => calls++, onProgress: () => undefined, onStats: () => undefined },
    );
    expect(result.cancelled).toBe(true);
    expect(calls).toBe(1);
  });

  it("scores a label as the mean of its prompts' scores, each prompt scored once per window and cached", async () => {
    const scorer = new FakeScorer();
    const engine = engineWith(scorer);
    // Two templates × one or two alternatives; ' a' appears under two labels and is scored once.
    const classPrompts = [[' a', ' [a]'], [' bb', ' [bb]', ' a']];
    const samples = new Float32Array(4 * RATE_HZ);
    samples.fill(1, 0, 2 * RATE_HZ); // window 0 mean 1, window 1 mean 0
    const outcomes = await runClasses(engine, classPrompts, [{ itemId: 'x', contentHash: 'hx', audio: { channels: [samples], sampleRate: RATE_HZ, fileSampleRate: null, durationSeconds: 4 } }]);
    const outcome = outcomes.get('x');
    // Per window w (mean m_w): label 0 = mean(2, 4) − m_w = 3 − m_w; label 1 = mean(3, 5, 2) − m_w = 10/3 − m_w; averaged over m = 1, 0.
    expect(outcome?.ok && outcome.scores[0]).toBeCloseTo(2.5, 6);
    expect(outcome?.ok && outcome.scores[1]).toBeCloseTo(10 / 3 - 0.5, 6);
    expect(scorer.scoredPrompts).toEqual([
      [' a', ' [a]', ' bb', ' [bb]'],
      [' a', ' [a]', ' bb', ' [bb]'],
    ]);

    // The same prompts regrouped: nothing new for the decoder.
    const regrouped = await runClasses(engine, [[' a'], [' [a]', ' bb']], [{ itemId: 'x', contentHash: 'hx', audio: null }]);
    const again = regrouped.get('x');
    expect(again?.ok && Array.from(again.scores)).toEqual([1.5, Math.fround(3.5 - 0.5)]);
    expect(scorer.scoredPrompts).toHaveLength(2);

    // Zero-input calibration averages the silent clip's prompt scores the same way.
    expect(Array.from(await engine.zeroInputScores(classPrompts, 'mean'))).toEqual([3, Math.fround(10 / 3)]);
  });

  it('gives exactly the per-prompt scores for one template and plain labels', async () => {
    const engine = engineWith(new FakeScorer());
    const outcomes = await runClasses(engine, [[' a'], [' bb'], [' ccc']], [clip('x', 1, 0.25)]);
    const outcome = outcomes.get('x');
    expect(outcome?.ok && Array.from(outcome.scores)).toEqual([1.75, 2.75, 3.75]);
  });

  it("keeps each clip's embedding (its windows' pooled vectors averaged, unit length) beyond the encoder cache", async () => {
    const engine = engineWith(new FakeScorer());
    const samples = new Float32Array(4 * RATE_HZ);
    samples.fill(3, 0, 2 * RATE_HZ); // window 0 pooled (3, 1), window 1 pooled (0, 1): mean (1.5, 1)
    await run(engine, [' a'], [{ itemId: 'x', contentHash: 'hx', audio: { channels: [samples], sampleRate: RATE_HZ, fileSampleRate: null, durationSeconds: 4 } }]);
    const embedding = await engine.clipEmbedding('hx');
    const norm = Math.hypot(1.5, 1);
    expect(embedding?.[0]).toBeCloseTo(1.5 / norm, 6);
    expect(embedding?.[1]).toBeCloseTo(1 / norm, 6);
    expect(engine.embeddingDim()).toBe(2);
    expect(await engine.clipEmbedding('never-sent')).toBeNull();
    expect(engine.holds('hx')).toBe(true);
    expect(engine.holds('never-sent')).toBe(false);
  });

  it('CLAP ensembles a label the CLIP way: unit caption embeddings summed, normalised, then scaled cosine', async () => {
    const logitScale = 10;
    const captions = new Map<string, Float32Array>([
      ['a dog', Float32Array.from([1, 0, 0])],
      ['a puppy', Float32Array.from([0, 1, 0])],
      ['a cat', Float32Array.from([0, 0, 1])],
    ]);
    class FakeClap extends FakeScorer {
      override readonly family = 'clap';
      override readonly transcriber = null;
      override readonly captions: CaptionSpace = {
        logitScale,
        embedCaptions: (prompts) => Promise.resolve(prompts.map((prompt) => captions.get(prompt)!)),
      };
      /** The window's audio embedding is (0.6, 0.8, 0) whatever it holds. */
      override score(_window: FakeWindow, prompts: readonly string[], counters: ScoreCounters): Promise<ScoresByRule> {
        this.scoredPrompts.push([...prompts]);
        counters.textsEmbedded += prompts.length;
        const audio = [0.6, 0.8, 0];
        const scores = Float32Array.from(prompts, (prompt) => logitScale * captions.get(prompt)!.reduce((s, x, k) => s + x * audio[k]!, 0));
        return Promise.resolve({ mean: scores, 'sum-with-eot': scores });
      }
    }
    const engine = engineWith(new FakeClap());
    const outcomes = await runClasses(engine, [['a dog', 'a puppy'], ['a cat']], [clip('x', 1, 0.5)]);
    const outcome = outcomes.get('x');
    // dog: audio · normalise((1,1,0)) = 1.4/√2; cat: 0.
    expect(outcome?.ok && outcome.scores[0]).toBeCloseTo((logitScale * 1.4) / Math.SQRT2, 5);
    expect(outcome?.ok && outcome.scores[1]).toBeCloseTo(0, 6);
  });
});

describe('AudioEngine.scoreLiveWindow', () => {
  const liveRequest = (samples: Float32Array, sampleRate: number, transcribe: boolean) => ({
    type: 'scoreLiveWindow' as const,
    requestId: 9,
    samples,
    sampleRate,
    startMs: 1500,
    classPrompts: [[' ab'], [' abcd']],
    aggregation: 'mean' as const,
    head: null,
    transcribe,
  });

  it('scores one window like a clip of the same audio, encodes it once, transcribes it on request and keeps nothing of it', async () => {
    const scorer = new FakeScorer();
    const engine = engineWith(scorer);
    const result = await engine.scoreLiveWindow(liveRequest(new Float32Array(1500).fill(0.25), RATE_HZ, true), () => false);
    expect(Array.from(result.scores)).toEqual([3 - 0.25, 5 - 0.25]);
    expect(result.transcript).toBe('heard 0.25');
    expect(result.missingHeadId).toBeNull();
    expect(scorer.encodeCalls).toBe(1);
    // Its window was handed back to the scorer (Whisper's prompt state goes) and the encoder cache holds nothing.
    expect(scorer.forgottenWindows).toHaveLength(1);
    expect(engine.currentStats()).toMatchObject({ encoderCacheSize: 0, encoderRuns: 1 });
    // The same audio again is encoded and scored again: no per-window cache answered it.
    const again = await engine.scoreLiveWindow(liveRequest(new Float32Array(1500).fill(0.25), RATE_HZ, false), () => false);
    expect(again.transcript).toBeNull();
    expect(scorer.encodeCalls).toBe(2);
    expect(scorer.scoredPrompts).toEqual([[' ab', ' abcd'], [' ab', ' abcd']]);
    const asClip = await run(engine, [' ab', ' abcd'], [clip('c', 1.5, 0.25)]);
    const outcome = asClip.get('c');
    expect(outcome?.ok && Array.from(outcome.scores)).toEqual(Array.from(result.scores));
  });

  it('resamples a window captured at another rate (counted) and names a head it does not hold', async () => {
    const scorer = new FakeScorer();
    const engine = engineWith(scorer);
    const result = await engine.scoreLiveWindow(
      { ...liveRequest(new Float32Array(4800).fill(0.5), 3 * RATE_HZ, false), head: { headId: 'gone', zeroShotWeight: 0.5 } },
      () => false,
    );
    // A constant resampled is (near enough, the filter's edges aside) the same constant.
    expect(result.scores[0]).toBeCloseTo(2.5, 1);
    expect(result.scores[1]).toBeCloseTo(4.5, 1);
    expect(result.headProbabilities).toBeNull();
    expect(result.missingHeadId).toBe('gone');
    expect(engine.currentStats().resamplings).toBe(1);
  });
});
