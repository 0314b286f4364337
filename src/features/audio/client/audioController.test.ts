import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StoreApi } from 'zustand/vanilla';
import type { TokenAggregation } from '../../../lib/audioScoring';
import type { AppState } from '../../../store';
import type { AudioItem } from '../../../store/audioItemsSlice';
import type { ActiveHead } from '../../../store/labSlice';
import { StoppedError, WorkerCrashedError, type LoadOptions } from '../../models/client/modelWorkerBridge';
import { bridgeListenersFor } from '../../models/client/taskModelLoader';
import { STORE_FLUSH_INTERVAL_MS } from '../../models/client/patchBatcher';
import type { LoadedModelInfo } from '../../../lib/workerReports';
import type { AudioClip, TranscribeClip } from '../shared/protocol';
import type { HeadUse } from '../../lab/shared';
import type { ScoreOptions, ScoreReply, TranscribeOptions } from './audioBridge';
import {
  AUDIO_RESCORE_DEBOUNCE_MS,
  AudioController,
  CRASHING_CLIP_ERROR,
  MAX_AUDIO_CLIPS_PER_REQUEST,
  MAX_CONCURRENT_DECODES,
  MAX_HELD_DECODED_CLIPS,
  planScoreRequests,
  type AudioScoringBridge,
} from './audioController';
import { AudioDecodeError, type PreparedAudio } from './decodeAudio';
import { newAudioItem } from './newAudioItem';
import { createUnpersistedStore } from '../../../store';

/** Paces of the fakes (ms of fake time): decodes slower than scoring, as with short clips and a cached encoder. */
const DECODE_MS = 5;
const SCORE_MS_PER_CLIP = 2;
/** A greedy transcription costs more than scoring a clip (a decoder pass per token). */
const TRANSCRIBE_MS_PER_CLIP = 20;
const TRANSCRIPT_TOKENS = 4;
const CLIPS = 200;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const testStore = createUnpersistedStore;

/** The browser decoder's stand-in: the content hash is the file's name; counts decodes in flight. */
function fakeDecoder(failing: ReadonlySet<string> = new Set()) {
  const stats = { calls: 0, inFlight: 0, maxInFlight: 0, completed: 0 };
  const decode = async (blob: Blob): Promise<PreparedAudio> => {
    stats.calls += 1;
    stats.inFlight += 1;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    await sleep(DECODE_MS);
    stats.inFlight -= 1;
    const name = blob instanceof File ? blob.name : '';
    if (failing.has(name)) throw new AudioDecodeError(`cannot decode ${name}`);
    stats.completed += 1;
    return { contentHash: name, decoded: { channels: [new Float32Array(8)], sampleRate: 48_000, fileSampleRate: null, durationSeconds: 1 }, durationSeconds: 1, peaks: [0.5] };
  };
  return { stats, decode };
}

/**
 * The worker's stand-in: holds the clips it was sent (per model), answers `needs-audio` like the
 * real one, and runs score and transcribe requests one after another, as the real worker does.
 */
class FakeWorker implements AudioScoringBridge {
  readonly requests: Array<Array<{ itemId: string; withAudio: boolean }>> = [];
  /** Each transcribe request's clips (item ids) and those it answered before it ended. */
  readonly transcribeRequests: Array<{ asked: string[]; answered: string[]; cancelled: boolean }> = [];
  /** Score and transcribe requests in the order the worker started them. */
  readonly started: Array<'score' | 'transcribe'> = [];
  private readonly transcripts = new Map<string, string>();
  private queue: Promise<unknown> = Promise.resolve();
  /** How the transcripts it makes begin (a test of a model switch tells the models' transcripts apart). */
  hearing = 'heard';
  /** Content hashes its transcriber fails on (answered with an error). */
  readonly failsToTranscribe = new Set<string>();
  /** Clips whose audio arrived, counted as the worker takes them in. */
  audioReceived = 0;
  private readonly held = new Set<string>();
  /** Heads this worker holds (trained or imported here), and the head each score request named. */
  readonly heads = new Set<string>();
  readonly headsAsked: Array<HeadUse | null> = [];
  /** Content hashes whose scoring kills this worker (an uncaught error, as an out-of-memory abort gives). */
  readonly crashesOn = new Set<string>();
  /** What the bridge does on a crash, before the request's rejection arrives: told to the test. */
  onCrash: (error: WorkerCrashedError) => void = () => undefined;

  /** `scoredDelayMs`: how long the final reply lags the last clip's (a busy main thread handles it later). */
  constructor(private readonly scoredDelayMs = 0) {}

  async load(options: LoadOptions): Promise<LoadedModelInfo> {
    // A new model gets a new worker: it holds nothing.
    this.held.clear();
    this.transcripts.clear();
    return { modelId: options.modelId, backend: 'wasm', dtype: 'fp32', family: 'whisper', threads: 1, loadMs: 0, warmupMs: 0 };
  }

  /** One request at a time, in the order sent (only a cancel jumps the queue). */
  private serially<T>(run: () => Promise<T>): Promise<T> {
    const result = this.queue.then(run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  score(classPrompts: string[][], aggregation: TokenAggregation, clips: AudioClip[], head: HeadUse | null, options: ScoreOptions = {}): Promise<ScoreReply> {
    return this.serially(() => this.scoreNow(classPrompts, aggregation, clips, head, options));
  }

  transcribe(clips: TranscribeClip[], options: TranscribeOptions = {}): Promise<{ cancelled: boolean }> {
    return this.serially(async () => {
      this.started.push('transcribe');
      const request = { asked: clips.map((clip) => clip.itemId), answered: [] as string[], cancelled: false };
      this.transcribeRequests.push(request);
      for (const clip of clips) {
        if (options.signal?.aborted) {
          request.cancelled = true;
          return { cancelled: true };
        }
        if (!this.held.has(clip.contentHash)) {
          options.onTranscript?.(clip.itemId, clip.contentHash, { ok: false, kind: 'needs-audio', message: 'The worker no longer holds this clip.' });
          continue;
        }
        if (this.failsToTranscribe.has(clip.contentHash)) {
          options.onTranscript?.(clip.itemId, clip.contentHash, { ok: false, kind: 'error', message: 'Transcription failed: out of memory' });
          continue;
        }
        if (!this.transcripts.has(clip.contentHash)) {
          // A token at a time, like the real worker's generate, which stops at the next token once
          // cancelled and throws the half transcript away.
          for (let token = 0; token < TRANSCRIPT_TOKENS; token++) {
            await sleep(TRANSCRIBE_MS_PER_CLIP / TRANSCRIPT_TOKENS);
            if (options.signal?.aborted) {
              request.cancelled = true;
              return { cancelled: true };
            }
          }
          this.transcripts.set(clip.contentHash, `${this.hearing} ${clip.contentHash}`);
        }
        request.answered.push(clip.itemId);
        options.onTranscript?.(clip.itemId, clip.contentHash, { ok: true, transcript: this.transcripts.get(clip.contentHash)!, coveredSeconds: null });
      }
      return { cancelled: false };
    });
  }

  private async scoreNow(
    classPrompts: string[][],
    _aggregation: TokenAggregation,
    clips: AudioClip[],
    head: HeadUse | null,
    options: ScoreOptions = {},
  ): Promise<ScoreReply> {
    this.started.push('score');
    this.requests.push(clips.map((clip) => ({ itemId: clip.itemId, withAudio: clip.audio !== null })));
    this.headsAsked.push(head);
    const heldHead = head !== null && this.heads.has(head.headId);
    const missingHeadId = head !== null && !heldHead ? head.headId : null;
    options.onProgress?.(0, clips.length);
    for (const [index, clip] of clips.entries()) {
      if (options.signal?.aborted) return { cancelled: true, missingHeadId: null };
      await sleep(SCORE_MS_PER_CLIP);
      if (this.crashesOn.has(clip.contentHash)) {
        // The worker is gone, and what it held with it.
        this.held.clear();
        this.heads.clear();
        const error = new WorkerCrashedError('Uncaught RangeError: Out of memory');
        this.onCrash(error);
        throw error;
      }
      if (clip.audio) {
        this.held.add(clip.contentHash);
        this.audioReceived += 1;
      }
      const rank = Number(clip.contentHash.replace(/\D/g, ''));
      options.onClip?.(
        clip.itemId,
        clip.contentHash,
        this.held.has(clip.contentHash)
          ? {
              ok: true,
              // Even clips say the first label, odd ones the second.
              scores: Float32Array.from(classPrompts, (_, label) => (label === rank % 2 ? 0 : -5)),
              // The head says the last label, whatever the clip.
              headProbabilities: heldHead ? Float32Array.from(classPrompts, (_, label) => (label === classPrompts.length - 1 ? 0.9 : 0.1 / (classPrompts.length - 1))) : null,
              durationSeconds: 1,
              scoredSeconds: 1,
              windows: 1,
              windowSeconds: 30,
              transcript: this.transcripts.get(clip.contentHash) ?? null,
              encodedNow: clip.audio !== null,
            }
          : { ok: false, kind: 'needs-audio', message: 'The worker no longer holds this clip.' },
      );
      options.onProgress?.(index + 1, clips.length);
    }
    if (this.scoredDelayMs > 0) await sleep(this.scoredDelayMs);
    return { cancelled: false, missingHeadId };
  }

  async zeroInputScores(classPrompts: string[][]): Promise<Float32Array> {
    return new Float32Array(classPrompts.length);
  }

  async debugFeatures(): Promise<null> {
    return null;
  }

  async debugDecoderStrategies(): Promise<null> {
    return null;
  }

  terminate(): void {}
}

function clipFiles(count: number): File[] {
  return Array.from({ length: count }, (_, index) => new File([`clip ${index}`], `clip${index}.wav`, { type: 'audio/wav' }));
}

function items(store: StoreApi<AppState>): AudioItem[] {
  const { audioItems, audioOrder } = store.getState();
  return audioOrder.map((id) => audioItems[id]!);
}

/** Everything settles within this much fake time (decodes, debounces, flushes, scoring). */
const SETTLE_MS = 10_000;

describe('AudioController', () => {
  let store: StoreApi<AppState>;
  let worker: FakeWorker;
  let stop: () => void;

  beforeEach(() => {
    vi.useFakeTimers();
    store = testStore();
    store.setState({ task: 'audio', audioLabelsText: 'yes, no' });
    worker = new FakeWorker();
  });

  afterEach(() => {
    stop();
    vi.useRealTimers();
  });

  function startWith(decode: (blob: Blob) => Promise<PreparedAudio>): AudioController {
    const controller = new AudioController(store, worker, '/', false, false, decode);
    stop = controller.start();
    return controller;
  }

  it(`scores ${CLIPS} dropped clips in a few dozen store updates, in the order they were dropped`, async () => {
    const decoder = fakeDecoder();
    startWith(decoder.decode);
    await vi.advanceTimersByTimeAsync(SETTLE_MS);
    expect(store.getState().models.audio.status.state).toBe('ready');

    let updates = 0;
    /** Updates once the transcripts, which follow the scores, are coming. */
    let transcriptUpdates = 0;
    const unsubscribe = store.subscribe(() => {
      if (worker.started.includes('transcribe')) transcriptUpdates += 1;
      else updates += 1;
    });
    const dropped = clipFiles(CLIPS).map((file) => newAudioItem(file));
    store.getState().addAudioItems(dropped);
    await vi.advanceTimersByTimeAsync(SETTLE_MS);
    unsubscribe();

    const scored = items(store);
    expect(scored.map((item) => item.id)).toEqual(dropped.map((item) => item.id));
    expect(scored.every((item) => item.state === 'done')).toBe(true);
    scored.forEach((item, index) => {
      expect(item.transcript).toBe(`heard clip${index}.wav`);
      expect(item.predictions[0]?.label).toBe(index % 2 === 0 ? 'yes' : 'no');
    });
    expect(store.getState().audioBatch).toBeNull();
    // The worker was asked for the clips in the order they were dropped.
    expect(worker.requests.flat().map((clip) => clip.itemId)).toEqual(dropped.map((item) => item.id));

    // Per-clip updates were ~4 per clip (decoded, scored, calibrated, progress): 800 here.
    // Batched, it is about one per flush interval of decoding and of scoring.
    const busyMs = (CLIPS * DECODE_MS) / MAX_CONCURRENT_DECODES + CLIPS * SCORE_MS_PER_CLIP;
    expect(updates).toBeLessThan(busyMs / STORE_FLUSH_INTERVAL_MS + 10);
    expect(updates).toBeLessThan(CLIPS / 5);
    // The transcripts too: one update per flush interval, not one per clip.
    expect(worker.started.filter((kind) => kind === 'transcribe')).toHaveLength(1);
    expect(transcriptUpdates).toBeLessThan((CLIPS * TRANSCRIBE_MS_PER_CLIP) / STORE_FLUSH_INTERVAL_MS + 5);
  });

  it('decodes at most a few clips at once, and holds only a few decoded clips for the worker', async () => {
    const decoder = fakeDecoder();
    startWith(decoder.decode);
    await vi.advanceTimersByTimeAsync(SETTLE_MS);
    store.getState().addAudioItems(clipFiles(CLIPS).map((file) => newAudioItem(file)));
    await vi.advanceTimersByTimeAsync(SETTLE_MS);

    expect(decoder.stats.maxInFlight).toBe(MAX_CONCURRENT_DECODES);
    // All clips decoded once for their hash and waveform; all but the held ones again when their turn to be scored came.
    expect(decoder.stats.calls).toBe(2 * CLIPS - MAX_HELD_DECODED_CLIPS);
    expect(worker.audioReceived).toBe(CLIPS);
    for (const request of worker.requests) expect(request.filter((clip) => clip.withAudio).length).toBeLessThanOrEqual(MAX_AUDIO_CLIPS_PER_REQUEST);
  });

  it('re-sends every clip to a newly chosen model a few decodes at a time, never with all clips decoded at once', async () => {
    const decoder = fakeDecoder();
    startWith(decoder.decode);
    await vi.advanceTimersByTimeAsync(SETTLE_MS);
    store.getState().addAudioItems(clipFiles(CLIPS).map((file) => newAudioItem(file)));
    await vi.advanceTimersByTimeAsync(SETTLE_MS);
    const firstModelRequests = worker.requests.length;

    // From here on, every decode is of a clip going to the new worker: decoded minus taken in is what waits in memory.
    const decodesBefore = decoder.stats.completed;
    const receivedBefore = worker.audioReceived;
    decoder.stats.maxInFlight = 0;
    let maxWaiting = 0;
    const unsubscribe = store.subscribe(() => {
      maxWaiting = Math.max(maxWaiting, decoder.stats.completed - decodesBefore - (worker.audioReceived - receivedBefore));
    });
    store.getState().setTaskModelId('audio', 'onnx-community/whisper-base');
    for (let elapsed = 0; elapsed < SETTLE_MS; elapsed += SCORE_MS_PER_CLIP) {
      await vi.advanceTimersByTimeAsync(SCORE_MS_PER_CLIP);
      maxWaiting = Math.max(maxWaiting, decoder.stats.completed - decodesBefore - (worker.audioReceived - receivedBefore));
    }
    unsubscribe();

    const status = store.getState().models.audio.status;
    expect(status.state === 'ready' && status.modelId).toBe('onnx-community/whisper-base');
    expect(decoder.stats.completed - decodesBefore).toBe(CLIPS);
    expect(worker.audioReceived - receivedBefore).toBe(CLIPS);
    expect(decoder.stats.maxInFlight).toBe(MAX_CONCURRENT_DECODES);
    // One request being scored, the next one decoded meanwhile.
    expect(maxWaiting).toBeLessThanOrEqual(2 * MAX_AUDIO_CLIPS_PER_REQUEST);
    const secondModelRequests = worker.requests.slice(firstModelRequests);
    expect(secondModelRequests).toHaveLength(Math.ceil(CLIPS / MAX_AUDIO_CLIPS_PER_REQUEST));
    expect(items(store).every((item) => item.state === 'done' && item.rankedPromptsKey?.startsWith('onnx-community/whisper-base@'))).toBe(true);
  });

  it('reports files that fail to decode on their own rows, batched with the rest', async () => {
    const decoder = fakeDecoder(new Set(['clip3.wav', 'clip7.wav']));
    startWith(decoder.decode);
    await vi.advanceTimersByTimeAsync(SETTLE_MS);
    store.getState().addAudioItems(clipFiles(10).map((file) => newAudioItem(file)));
    await vi.advanceTimersByTimeAsync(SETTLE_MS);

    const states = items(store).map((item) => (item.state === 'error' ? item.error : item.state));
    expect(states).toEqual(['done', 'done', 'done', 'cannot decode clip3.wav', 'done', 'done', 'done', 'cannot decode clip7.wav', 'done', 'done']);
  });

  it('a clip that decoded once but fails when decoded again is an error on its row; the other clips are scored', async () => {
    const failing = new Set<string>();
    const decoder = fakeDecoder(failing);
    startWith(decoder.decode);
    await vi.advanceTimersByTimeAsync(SETTLE_MS);
    store.getState().addAudioItems(clipFiles(CLIPS).map((file) => newAudioItem(file)));
    await vi.advanceTimersByTimeAsync(SETTLE_MS);
    expect(items(store).every((item) => item.state === 'done')).toBe(true);
    // The file can no longer be read (moved, or changed on disk) when the new model needs its audio.
    failing.add('clip150.wav');
    store.getState().setTaskModelId('audio', 'onnx-community/whisper-base');
    await vi.advanceTimersByTimeAsync(SETTLE_MS);

    const rows = items(store);
    expect(rows.find((item) => item.name === 'clip150.wav')).toMatchObject({ state: 'error', error: 'cannot decode clip150.wav' });
    const others = rows.filter((item) => item.name !== 'clip150.wav');
    expect(others.every((item) => item.state === 'done' && item.rankedPromptsKey?.startsWith('onnx-community/whisper-base@'))).toBe(true);
  });

  it.each([0, 500])('asks for audio again when the worker lost clips, and scores them (final reply %i ms late)', async (scoredDelayMs) => {
    worker = new FakeWorker(scoredDelayMs);
    const decoder = fakeDecoder();
    startWith(decoder.decode);
    await vi.advanceTimersByTimeAsync(SETTLE_MS);
    store.getState().addAudioItems(clipFiles(4).map((file) => newAudioItem(file)));
    await vi.advanceTimersByTimeAsync(SETTLE_MS);
    // A worker restart the controller wasn't told about: the next label edit finds nothing held.
    await worker.load({ modelId: 'same', source: { kind: 'builtin', baseUrl: '/' }, backend: 'wasm', keepInputsForDebug: false });
    store.setState({ audioLabelsText: 'yes, no, maybe' });
    await vi.advanceTimersByTimeAsync(SETTLE_MS);

    expect(items(store).every((item) => item.state === 'done' && item.predictions.length === 3)).toBe(true);
  });

  describe('transcripts', () => {
    async function addClips(count: number): Promise<AudioItem[]> {
      const added = clipFiles(count).map((file) => newAudioItem(file));
      store.getState().addAudioItems(added);
      return added;
    }

    it('are asked for in their own request after the scores, and arriving they change nothing but the transcript', async () => {
      startWith(fakeDecoder().decode);
      await vi.advanceTimersByTimeAsync(SETTLE_MS);
      // Every update that brings a transcript leaves order, ranks, probabilities and focus as they were.
      const moved: string[] = [];
      let transcriptsSeen = 0;
      const unsubscribe = store.subscribe((state, previous) => {
        for (const id of state.audioOrder) {
          const now = state.audioItems[id];
          const before = previous.audioItems[id];
          if (!now || !before || now.transcript === before.transcript) continue;
          transcriptsSeen += 1;
          expect(before.state, 'scored before its transcript came').toBe('done');
          if (now.predictions !== before.predictions || now.rawScores !== before.rawScores || now.rankedPromptsKey !== before.rankedPromptsKey) moved.push(id);
          if (state.audioOrder !== previous.audioOrder || state.reviews.audio.focusedId !== previous.reviews.audio.focusedId) moved.push(id);
        }
      });
      const added = await addClips(6);
      store.getState().focusItem('audio', added[2]!.id);
      await vi.advanceTimersByTimeAsync(SETTLE_MS);
      unsubscribe();

      expect(worker.started).toEqual(['score', 'score', 'transcribe']);
      expect(worker.transcribeRequests[0]?.asked).toEqual(added.map((item) => item.id));
      expect(items(store).map((item) => item.transcript)).toEqual(added.map((_, index) => `heard clip${index}.wav`));
      expect(transcriptsSeen).toBe(6);
      expect(moved).toEqual([]);
      expect(store.getState().audioTranscribing.size).toBe(0);
    });

    it('shows which clips are waiting for theirs, and a label edit keeps them without transcribing again', async () => {
      startWith(fakeDecoder().decode);
      await vi.advanceTimersByTimeAsync(SETTLE_MS);
      const added = await addClips(3);
      // Scored, transcription under way: every clip is waiting, none has its transcript yet.
      await vi.advanceTimersByTimeAsync(200);
      expect(items(store).every((item) => item.state === 'done' && item.transcript === null)).toBe(true);
      expect([...store.getState().audioTranscribing]).toEqual(added.map((item) => item.id));
      await vi.advanceTimersByTimeAsync(SETTLE_MS);
      expect(store.getState().audioTranscribing.size).toBe(0);

      store.setState({ audioLabelsText: 'yes, no, maybe' });
      await vi.advanceTimersByTimeAsync(SETTLE_MS);
      expect(items(store).every((item) => item.predictions.length === 3 && item.transcript?.startsWith('heard '))).toBe(true);
      expect(worker.transcribeRequests).toHaveLength(1);
    });

    it('are not asked for clips reviewed before theirs came, nor for one reviewed while it was on its way', async () => {
      store.setState({ audioLabelsText: '' });
      startWith(fakeDecoder().decode);
      await vi.advanceTimersByTimeAsync(SETTLE_MS);
      const added = await addClips(5);
      await vi.advanceTimersByTimeAsync(SETTLE_MS);
      // No labels: decoded, not scored. Two clips reviewed before any score (and transcript) came.
      const [rejected, relabelled, third, , last] = added.map((item) => item.id) as [string, string, string, string, string];
      store.getState().review('audio', [rejected], { kind: 'reject' });
      store.getState().review('audio', [relabelled], { kind: 'pick', label: 'no' });
      store.setState({ audioLabelsText: 'yes, no' });
      // Scores in, transcription started: the third clip is reviewed while the first transcript is being made.
      await vi.waitFor(() => expect(worker.transcribeRequests).toHaveLength(1), { timeout: SETTLE_MS, interval: 1 });
      expect(worker.transcribeRequests[0]?.asked).toEqual(added.slice(2).map((item) => item.id));
      expect(store.getState().audioTranscribing.has(rejected)).toBe(false);
      store.getState().review('audio', [third], { kind: 'accept' });
      await vi.advanceTimersByTimeAsync(SETTLE_MS);

      // Cancelled mid-clip (its half transcript thrown away, as the real worker does), and asked again without it.
      expect(worker.transcribeRequests.map((request) => request.cancelled)).toEqual([true, false]);
      expect(worker.transcribeRequests[0]?.answered).toEqual([]);
      expect(worker.transcribeRequests[1]?.asked).toEqual(added.slice(3).map((item) => item.id));
      const byId = store.getState().audioItems;
      expect(byId[rejected]?.transcript).toBeNull();
      expect(byId[relabelled]?.transcript).toBeNull();
      expect(byId[third]?.transcript).toBeNull();
      expect(byId[last]?.transcript).toBe('heard clip4.wav');
      expect(byId[rejected]?.predictions.length).toBe(2);
    });

    it('a clip reviewed while another one is being transcribed: that one, cut off by the cancel, is asked again and gets its transcript', async () => {
      startWith(fakeDecoder().decode);
      await vi.advanceTimersByTimeAsync(SETTLE_MS);
      const added = await addClips(4);
      const ids = added.map((item) => item.id);
      await vi.waitFor(() => expect(worker.transcribeRequests).toHaveLength(1), { timeout: SETTLE_MS, interval: 1 });
      // The first clip is being transcribed; the third is reviewed.
      store.getState().review('audio', [ids[2]!], { kind: 'accept' });
      await vi.advanceTimersByTimeAsync(SETTLE_MS);

      expect(worker.transcribeRequests.map((request) => request.cancelled)).toEqual([true, false]);
      expect(worker.transcribeRequests[0]?.answered).toEqual([]);
      expect(worker.transcribeRequests[1]?.asked).toEqual([ids[0], ids[1], ids[3]]);
      expect(items(store).map((item) => item.transcript)).toEqual(['heard clip0.wav', 'heard clip1.wav', null, 'heard clip3.wav']);
      expect(store.getState().audioTranscribing.size).toBe(0);
    });

    it('a new score request cancels the transcription in flight, goes first, and the missing transcripts are asked for again after', async () => {
      startWith(fakeDecoder().decode);
      await vi.advanceTimersByTimeAsync(SETTLE_MS);
      // Their transcription takes longer than the label edit's debounce.
      const added = await addClips(Math.ceil((4 * AUDIO_RESCORE_DEBOUNCE_MS) / TRANSCRIBE_MS_PER_CLIP));
      await vi.waitFor(() => expect(worker.transcribeRequests[0]?.answered.length).toBeGreaterThanOrEqual(2), { timeout: SETTLE_MS, interval: 1 });
      const scoreRequests = worker.requests.length;
      // A label edit: scoring the new label must not wait for the transcripts still to come.
      store.setState({ audioLabelsText: 'yes, no, maybe' });
      await vi.waitFor(() => expect(worker.requests.length).toBe(scoreRequests + 1), { timeout: SETTLE_MS, interval: 1 });
      const first = worker.transcribeRequests[0]!;
      expect(first.cancelled).toBe(true);
      expect(first.answered.length).toBeLessThan(added.length);
      expect(items(store).filter((item) => item.transcript === null).length).toBe(added.length - first.answered.length);
      await vi.advanceTimersByTimeAsync(SETTLE_MS);

      expect(worker.started.slice(-3)).toEqual(['transcribe', 'score', 'transcribe']);
      const again = worker.transcribeRequests[1]!;
      expect(again.cancelled).toBe(false);
      expect(again.asked).toEqual(added.map((item) => item.id).filter((id) => !first.answered.includes(id)));
      expect(items(store).every((item) => item.predictions.length === 3 && item.transcript === `heard ${item.name}`)).toBe(true);
    });
    it("after a model switch, the old model's transcripts still on their way are never written into the items", async () => {
      startWith(fakeDecoder().decode);
      await vi.advanceTimersByTimeAsync(SETTLE_MS);
      // Slower to transcribe than the flush interval, so some transcripts wait in the batch at the switch.
      const added = await addClips(Math.ceil((8 * STORE_FLUSH_INTERVAL_MS) / TRANSCRIBE_MS_PER_CLIP));
      await vi.waitFor(() => expect(worker.transcribeRequests[0]?.answered.length).toBeGreaterThanOrEqual(2), { timeout: SETTLE_MS, interval: 1 });
      const written: string[] = [];
      const unsubscribe = store.subscribe((state, previous) => {
        for (const id of state.audioOrder) {
          const transcript = state.audioItems[id]?.transcript;
          if (transcript && transcript !== previous.audioItems[id]?.transcript) written.push(transcript);
        }
      });
      worker.hearing = 'base heard';
      store.getState().setTaskModelId('audio', 'onnx-community/whisper-base');
      await vi.advanceTimersByTimeAsync(SETTLE_MS);
      unsubscribe();

      expect(written.filter((transcript) => !transcript.startsWith('base heard'))).toEqual([]);
      expect(items(store).map((item) => item.transcript)).toEqual(added.map((item) => `base heard ${item.name}`));
    });

    it('a clip the worker could not transcribe says why on its row, and is not asked again', async () => {
      startWith(fakeDecoder().decode);
      await vi.advanceTimersByTimeAsync(SETTLE_MS);
      worker.failsToTranscribe.add('clip1.wav');
      const added = await addClips(3);
      await vi.advanceTimersByTimeAsync(SETTLE_MS);

      expect(items(store).map((item) => item.transcript)).toEqual(['heard clip0.wav', null, 'heard clip2.wav']);
      expect([...store.getState().audioTranscriptFailures]).toEqual([[added[1]!.id, 'Transcription failed: out of memory']]);
      store.setState({ audioLabelsText: 'yes, no, maybe' });
      await vi.advanceTimersByTimeAsync(SETTLE_MS);
      expect(worker.transcribeRequests).toHaveLength(1);
      expect(store.getState().audioTranscriptFailures.get(added[1]!.id)).toBe('Transcription failed: out of memory');
    });

    it('clips whose audio the worker lost before their transcript came are sent again, and get their transcripts', async () => {
      startWith(fakeDecoder().decode);
      await vi.advanceTimersByTimeAsync(SETTLE_MS);
      const added = await addClips(4);
      await vi.waitFor(() => expect(worker.transcribeRequests).toHaveLength(1), { timeout: SETTLE_MS, interval: 1 });
      const received = worker.audioReceived;
      // A worker restart the controller wasn't told about, during the transcription: it answers needs-audio.
      await worker.load({ modelId: 'same', source: { kind: 'builtin', baseUrl: '/' }, backend: 'wasm', keepInputsForDebug: false });
      await vi.advanceTimersByTimeAsync(SETTLE_MS);

      expect(worker.audioReceived - received).toBeGreaterThanOrEqual(added.length - 1);
      expect(items(store).map((item) => item.transcript)).toEqual(added.map((item) => `heard ${item.name}`));
      expect(store.getState().audioTranscribing.size).toBe(0);
    });
  });

  describe('after worker crashes', () => {
    /** The app's wiring (src/app/main.tsx): the bridge's listeners keep the status, the controller forgets the worker's clips; the model is back RESTART_MS later. */
    function crashingWorker(controller: AudioController) {
      const listeners = bridgeListenersFor(store, 'audio', () => undefined);
      let crashes = 0;
      worker.onCrash = (error) => {
        crashes += 1;
        listeners.onCrash(error);
        controller.forgetWorkerState();
        setTimeout(() => {
          const status = store.getState().models.audio.status;
          if (status.state === 'loading') listeners.onRestarted({ modelId: status.modelId, backend: 'wasm', dtype: 'fp32', family: 'whisper', threads: 1, loadMs: 0, warmupMs: 0 }, error, false);
        }, RESTART_MS);
      };
      return { crashes: () => crashes };
    }
    const RESTART_MS = 50;

    it('a clip that crashes the worker twice in a row with no result between is failed on its row and not sent again; the others are scored', async () => {
      const controller = startWith(fakeDecoder().decode);
      const { crashes } = crashingWorker(controller);
      await vi.advanceTimersByTimeAsync(SETTLE_MS);
      worker.crashesOn.add('clip1.wav');
      const added = clipFiles(5).map((file) => newAudioItem(file));
      store.getState().addAudioItems(added);
      await vi.advanceTimersByTimeAsync(SETTLE_MS);

      // Once after clip0's result (not fruitless), then twice with nothing in between.
      expect(crashes()).toBe(3);
      const rows = items(store);
      expect(rows[1]).toMatchObject({ state: 'error', error: CRASHING_CLIP_ERROR });
      expect(rows.filter((_, index) => index !== 1).map((item) => item.state)).toEqual(['done', 'done', 'done', 'done']);
      // In the first request, then alone (after a crash, one clip at a time finds the culprit: clip2 is never blamed).
      const withClip1 = worker.requests.filter((request) => request.some((clip) => clip.itemId === added[1]!.id));
      const alone = [added[1]!.id];
      expect(withClip1.map((request) => request.map((clip) => clip.itemId))).toEqual([added.slice(0, 3).map((item) => item.id), alone, alone]);
      expect(store.getState().models.audio.status.state).toBe('ready');
      expect(store.getState().audioBatch).toBeNull();

      // Nothing more is sent for it, whatever comes later.
      const requests = worker.requests.length;
      store.getState().setTaskLabelsText('audio', 'yes, no, maybe');
      await vi.advanceTimersByTimeAsync(SETTLE_MS);
      expect(crashes()).toBe(3);
      expect(worker.requests.slice(requests).flat().map((clip) => clip.itemId)).not.toContain(added[1]!.id);
    });

    it('a score request dropped because the worker was stopped (a cancelled load) leaves no notice of its own', async () => {
      startWith(fakeDecoder().decode);
      await vi.advanceTimersByTimeAsync(SETTLE_MS);
      worker.score = () => Promise.reject(new StoppedError());
      store.getState().addAudioItems(clipFiles(2).map((file) => newAudioItem(file)));
      await vi.advanceTimersByTimeAsync(SETTLE_MS);
      expect(store.getState().models.audio.notice).toBeNull();
    });

    it('crashes with results in between never fail a clip', async () => {
      const controller = startWith(fakeDecoder().decode);
      const { crashes } = crashingWorker(controller);
      await vi.advanceTimersByTimeAsync(SETTLE_MS);
      const added = clipFiles(3).map((file) => newAudioItem(file));
      // Crashes once on each clip's first send only: clip0, then clip1, then clip2 (each after the one before it scored).
      const firstSends = new Set(['clip0.wav', 'clip1.wav', 'clip2.wav']);
      worker.crashesOn.add('clip0.wav');
      const crashOnce = worker.onCrash;
      worker.onCrash = (error) => {
        for (const hash of worker.crashesOn) firstSends.delete(hash);
        worker.crashesOn.clear();
        const next = [...firstSends][0];
        if (next) worker.crashesOn.add(next);
        crashOnce(error);
      };
      store.getState().addAudioItems(added);
      await vi.advanceTimersByTimeAsync(SETTLE_MS);
      expect(crashes()).toBe(3);
      expect(items(store).map((item) => item.state)).toEqual(['done', 'done', 'done']);
    });
  });

  describe('with a few-shot head', () => {
    function activeHead(headId: string, zeroShotWeight: number): ActiveHead {
      const status = store.getState().models.audio.status;
      if (status.state !== 'ready') throw new Error('model not ready');
      return {
        headId,
        kind: 'knn',
        modelId: status.info.modelId,
        labels: ['yes', 'no'],
        dim: 4,
        chosen: { k: 1 },
        cvAccuracy: null,
        heldOutAccuracy: null,
        zeroShotHeldOutAccuracy: null,
        examples: 8,
        source: 'truth',
        inUse: true,
        zeroShotWeight,
      };
    }

    async function scoredClips(count: number): Promise<AudioItem[]> {
      startWith(fakeDecoder().decode);
      await vi.advanceTimersByTimeAsync(SETTLE_MS);
      store.getState().addAudioItems(clipFiles(count).map((file) => newAudioItem(file)));
      await vi.advanceTimersByTimeAsync(SETTLE_MS);
      return items(store);
    }

    it("ranks the clips by the head's probabilities (the rows say so), blends by the weight without asking the worker again", async () => {
      const before = await scoredClips(4);
      expect(before.map((item) => item.predictions[0]?.label)).toEqual(['yes', 'no', 'yes', 'no']);
      expect(before.every((item) => item.classifier === 'zero-shot')).toBe(true);

      worker.heads.add('head-1');
      store.getState().setHead('audio', activeHead('head-1', 0));
      await vi.advanceTimersByTimeAsync(SETTLE_MS);
      expect(worker.headsAsked.at(-1)).toEqual({ headId: 'head-1', zeroShotWeight: 0 });
      expect(items(store).map((item) => item.predictions[0]?.label)).toEqual(['no', 'no', 'no', 'no']);
      expect(items(store).every((item) => item.classifier === 'knn')).toBe(true);
      expect(items(store)[0]?.predictions[0]?.score).toBeCloseTo(0.9, 6);

      const requests = worker.requests.length;
      // Half and half: even clips' zero-shot [0.9933, 0.0067] with the head's [0.1, 0.9] → 'yes' at 0.5467.
      store.getState().updateHead('audio', { zeroShotWeight: 0.5 });
      await vi.advanceTimersByTimeAsync(SETTLE_MS);
      const blended = items(store)[0]!;
      expect(blended.predictions[0]?.label).toBe('yes');
      expect(blended.predictions[0]?.score).toBeCloseTo(0.5 * (1 / (1 + Math.exp(-5))) + 0.05, 4);
      expect(blended.classifier).toBe('knn');

      store.getState().updateHead('audio', { zeroShotWeight: 1 });
      await vi.advanceTimersByTimeAsync(SETTLE_MS);
      expect(items(store).map((item) => item.predictions[0]?.label)).toEqual(['yes', 'no', 'yes', 'no']);
      expect(items(store).every((item) => item.classifier === 'zero-shot')).toBe(true);
      expect(worker.requests.length).toBe(requests);

      // A head for other labels is not used.
      store.getState().setTaskLabelsText('audio', 'yes, no, up');
      store.getState().updateHead('audio', { zeroShotWeight: 0 });
      await vi.advanceTimersByTimeAsync(SETTLE_MS);
      expect(worker.headsAsked.at(-1)).toBeNull();
      expect(items(store).every((item) => item.classifier === 'zero-shot')).toBe(true);
    });

    it('falls back to zero-shot and drops the head, with a notice, when the worker no longer holds it', async () => {
      await scoredClips(2);
      store.getState().setHead('audio', activeHead('lost-head', 0));
      await vi.advanceTimersByTimeAsync(SETTLE_MS);
      expect(store.getState().heads.audio).toBeNull();
      expect(store.getState().models.audio.notice?.text).toMatch(/lost the trained head/);
      expect(items(store).map((item) => item.predictions[0]?.label)).toEqual(['yes', 'no']);
      expect(items(store).every((item) => item.classifier === 'zero-shot')).toBe(true);
    });
  });
});

describe('planScoreRequests', () => {
  const clip = (id: string, contentHash: string) => ({ ...newAudioItem(new File([id], `${id}.wav`)), id, contentHash });

  it('caps the clips carrying audio per request, sends a duplicate file once, and keeps the order', () => {
    const work = [clip('a', 'h1'), clip('b', 'held'), clip('c', 'h2'), clip('d', 'h1'), clip('e', 'h3'), clip('f', 'h4')];
    const plan = planScoreRequests(work, (hash) => hash === 'held', 2);
    expect(plan.map((request) => request.map(({ item, sendAudio }) => `${item.id}${sendAudio ? '+' : ''}`))).toEqual([
      ['a+', 'b', 'c+', 'd'],
      ['e+', 'f+'],
    ]);
  });

  it('puts clips the worker holds into one request however many there are', () => {
    const work = Array.from({ length: 50 }, (_, index) => clip(`c${index}`, `h${index}`));
    expect(planScoreRequests(work, () => true, 3)).toHaveLength(1);
    expect(planScoreRequests([], () => true, 3)).toEqual([]);
  });

});
