import { describe, expect, it } from 'vitest';
import type { TokenAggregation } from '../../../lib/audioScoring';
import type { AudioClip, ClipOutcome, ScoreRequest } from '../shared/protocol';
import { AudioEngine } from './audioEngine';
import type { AudioScorer, EncodeResult, EncodedWindow, ScoreCounters } from './audioScorer';
import type { LoadedAudio } from './loadAudioModel';

const RATE_HZ = 1_000;
const WINDOW_SECONDS = 2;

interface FakeWindow extends EncodedWindow {
  mean: number;
}

/** Scores a prompt by its length minus the window's mean sample: deterministic and cheap to check. */
class FakeScorer implements AudioScorer<FakeWindow> {
  readonly family = 'whisper';
  readonly sampleRate = RATE_HZ;
  readonly windowSeconds = WINDOW_SECONDS;
  encodeCalls = 0;
  scoredPrompts: string[][] = [];

  encode(samples: Float32Array, options: { transcribe: boolean }): Promise<EncodeResult<FakeWindow>> {
    this.encodeCalls++;
    const mean = samples.reduce((s, x) => s + x, 0) / samples.length;
    return Promise.resolve({ encoded: { mean, bytes: 8 }, transcript: options.transcribe ? `heard ${mean.toFixed(2)}` : null, input: null });
  }

  score(window: FakeWindow, prompts: readonly string[], _aggregation: TokenAggregation, counters: ScoreCounters): Promise<Float32Array> {
    this.scoredPrompts.push([...prompts]);
    counters.decoderRuns++;
    counters.labelRowsScored += prompts.length;
    return Promise.resolve(Float32Array.from(prompts, (p) => p.length - window.mean));
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
  return { itemId: id, contentHash: `hash-${id}`, audio: { channels: [samples], sampleRate, durationSeconds: samples.length / sampleRate } };
}

async function run(engine: AudioEngine, prompts: string[], clips: AudioClip[]): Promise<Map<string, ClipOutcome>> {
  const outcomes = new Map<string, ClipOutcome>();
  const request: ScoreRequest = { type: 'score', requestId: 1, prompts, aggregation: 'mean', clips };
  await engine.score(request, {
    isCancelled: () => false,
    onClip: (c, outcome) => outcomes.set(c.itemId, outcome),
    onProgress: () => undefined,
    onStats: () => undefined,
  });
  return outcomes;
}

describe('AudioEngine', () => {
  it('encodes each window once; a label edit scores only the new prompt against the cached encodings', async () => {
    const scorer = new FakeScorer();
    const engine = engineWith(scorer);
    const first = await run(engine, [' a', ' bb'], [clip('x', 1, 0.5)]);
    expect(first.get('x')).toMatchObject({ ok: true, windows: 1, transcript: 'heard 0.50', encodedNow: true });
    expect(scorer.encodeCalls).toBe(1);

    // The same clip again, without its audio: the worker already holds it.
    const edited = await run(engine, [' a', ' bb', ' ccc'], [{ itemId: 'x', contentHash: 'hash-x', audio: null }]);
    const outcome = edited.get('x');
    expect(outcome?.ok && Array.from(outcome.scores)).toEqual([1.5, 2.5, 3.5]);
    expect(outcome?.ok && outcome.encodedNow).toBe(false);
    expect(scorer.encodeCalls).toBe(1);
    expect(scorer.scoredPrompts).toEqual([[' a', ' bb'], [' ccc']]);
  });

  it('scores long clips window by window and averages; cuts at five minutes and says so', async () => {
    const scorer = new FakeScorer();
    const engine = engineWith(scorer);
    const samples = new Float32Array(5 * RATE_HZ);
    samples.fill(1, 0, 2 * RATE_HZ); // window 0 mean 1, window 1 mean 0, window 2 (1 s) mean 0
    const outcomes = await run(engine, [' a'], [{ itemId: 'long', contentHash: 'h', audio: { channels: [samples], sampleRate: RATE_HZ, durationSeconds: 5 } }]);
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
    expect(Array.from(await engine.zeroInputScores([' a'], 'mean'))).toEqual([2]);
    expect(Array.from(await engine.zeroInputScores([' a', ' bb'], 'mean'))).toEqual([2, 3]);
    expect(scorer.encodeCalls).toBe(1);
    expect(scorer.scoredPrompts).toEqual([[' a'], [' bb']]);
  });

  it('stops between clips when cancelled', async () => {
    const engine = engineWith(new FakeScorer());
    let calls = 0;
    const result = await engine.score(
      { type: 'score', requestId: 1, prompts: [' a'], aggregation: 'mean', clips: [clip('a', 1, 0.5), clip('b', 1, 0.5)] },
      { isCancelled: () => calls > 0, onClip: () => calls++, onProgress: () => undefined, onStats: () => undefined },
    );
    expect(result.cancelled).toBe(true);
    expect(calls).toBe(1);
  });
});
