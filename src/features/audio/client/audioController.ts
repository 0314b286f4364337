import type { StoreApi } from 'zustand';
import { windowNote } from '../../../lib/audio';
import { createLimiter } from '../../../lib/concurrency';
import { audioRankingKey, audioRankingModel } from '../../../lib/cacheKeys';
import { buildTranscriptClassPrompts, calibratedProbabilities, type Calibration } from '../../../lib/audioScoring';
import { blendProbabilities } from '../../../lib/fewShot';
import { buildClassPrompts, parseLabels, parseTemplates } from '../../../lib/labels';
import { rankLabels, sameRanking } from '../../../lib/scoring';
import type { AppState } from '../../../store';
import type { ModelFamily } from '../../../lib/workerReports';
import type { AudioBatchFields, AudioItem } from '../../../store/audioItemsSlice';
import type { ActiveHead } from '../../../store/labSlice';
import type { HeadUse } from '../../lab/shared';
import type { BatchProgress } from '../../../store/itemsSlice';
import {
  Debouncer,
  FruitlessCrashCounter,
  PatchBatcher,
  RunTracker,
  StoppedError,
  SupersededError,
  TaskModelLoader,
  WorkerCrashedError,
  WorkerRestartFailedError,
  audioCatalogEntryFor,
  type ModelChooser,
} from '../../models';
import type { AudioClip, ClipOutcome, DecodedAudio, DecoderStrategyScores, TranscriptOutcome } from '../shared/protocol';
import type { AudioBridge } from './audioBridge';
import { AudioDecodeError, decodeAudioFile, type PreparedAudio } from './decodeAudio';

/** Typing pauses shorter than this are treated as one edit, so each keystroke doesn't re-score. */
export const AUDIO_RESCORE_DEBOUNCE_MS = 120;
/**
 * Clips decoded at a time, whether just added or sent again to a newly loaded model. Decoded audio
 * is large (a 300 s stereo clip at 48 kHz is ~115 MB of samples), and the browser's decoder gets no
 * faster for being handed hundreds of files at once.
 */
export const MAX_CONCURRENT_DECODES = 3;
/**
 * Clips carrying decoded audio per score request. The next request's clips are decoded while the
 * worker scores this one, so about two requests' worth of samples exists at once, not every clip's.
 * Clips the worker already holds cost nothing to send and don't count.
 */
export const MAX_AUDIO_CLIPS_PER_REQUEST = MAX_CONCURRENT_DECODES;
/**
 * Decoded clips kept from their first decode (which finds hash, duration and waveform) until the
 * worker takes them. A clip beyond these is decoded again when its turn to be scored comes, rather
 * than hundreds of clips' samples waiting in memory for a model to load.
 */
export const MAX_HELD_DECODED_CLIPS = 2 * MAX_AUDIO_CLIPS_PER_REQUEST;
/** What a clip the worker crashed on again and again (see FruitlessCrashCounter) says on its row. */
export const CRASHING_CLIP_ERROR = 'The model worker stopped each time it was given this clip (it was restarted); the clip was not scored.';

/** What the controller asks of the worker bridge (tests answer it without a worker). */
export type AudioScoringBridge = Pick<
  AudioBridge,
  'load' | 'score' | 'transcribe' | 'zeroInputScores' | 'debugFeatures' | 'debugDecoderStrategies' | 'terminate'
>;

/** The browser-decoder step, replaceable so tests can count and pace decodes. */
export type AudioDecoder = (blob: Blob) => Promise<PreparedAudio>;

/** A clip of a score run and whether its audio must go with it (the worker doesn't hold it). */
interface PlannedClip {
  item: AudioItem & { contentHash: string };
  sendAudio: boolean;
}

/**
 * A run's clips cut into score requests of at most `maxWithAudio` clips that carry audio each, in
 * order. A content hash carries audio once per run: a file added twice is decoded and sent once.
 */
export function planScoreRequests(
  work: readonly (AudioItem & { contentHash: string })[],
  workerHolds: (contentHash: string) => boolean,
  maxWithAudio: number,
): PlannedClip[][] {
  const requests: PlannedClip[][] = [];
  const sending = new Set<string>();
  let current: PlannedClip[] = [];
  let withAudio = 0;
  for (const item of work) {
    const sendAudio = !workerHolds(item.contentHash) && !sending.has(item.contentHash);
    if (sendAudio && withAudio === maxWithAudio) {
      requests.push(current);
      current = [];
      withAudio = 0;
    }
    if (sendAudio) {
      sending.add(item.contentHash);
      withAudio += 1;
    }
    current.push({ item, sendAudio });
  }
  if (current.length > 0) requests.push(current);
  return requests;
}

export interface AudioQuery {
  /** `modelId@backend` of the ready model ('' while none is): the first part of every key. */
  model: string;
  family: ModelFamily;
  labels: string[];
  /** Per label, every template × alternative filled: the label's raw score ensembles them. */
  classPrompts: string[][];
  /** Every distinct prompt, label by label (one per label for a single template and plain labels). */
  prompts: string[];
  /** The head the items use, when one is in use for this model and these labels. */
  head: ActiveHead | null;
  /** Identifies the model run, aggregation and prompts that raw scores were computed for. */
  promptsKey: string;
  /** promptsKey and the head: what an item's results (raw scores and head probabilities) were computed for. */
  key: string;
}

function sameLabels(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((label, index) => label === b[index]);
}

export function currentAudioQuery(state: AppState): AudioQuery {
  const { labels, alternatives } = parseLabels(state.audioLabelsText);
  const status = state.models.audio.status;
  const family = status.state === 'ready' ? (status.info.family ?? audioCatalogEntryFor(status.modelId).family) : 'whisper';
  // Whisper reads the label as text it would write (spacing matters); CLAP reads a caption.
  const classPrompts =
    family === 'whisper'
      ? buildTranscriptClassPrompts(parseTemplates(state.audioTemplate, { keepSpacing: true }), alternatives)
      : buildClassPrompts(parseTemplates(state.audioTemplate), alternatives);
  const model = status.state === 'ready' ? `${status.info.modelId}@${status.info.backend}` : '';
  const active = state.heads.audio;
  const head =
    active?.inUse && status.state === 'ready' && active.modelId === status.info.modelId && sameLabels(active.labels, labels) ? active : null;
  const promptsKey = audioRankingKey(model, state.aggregation, classPrompts);
  return {
    model,
    family,
    labels,
    classPrompts,
    prompts: [...new Set(classPrompts.flat())],
    head,
    promptsKey,
    key: head ? `${promptsKey}\u0000head:${head.headId}` : promptsKey,
  };
}

/** Whether results under `rankedPromptsKey` came from this model (keys start with it). */
function rankedByModel(rankedPromptsKey: string | null, model: string): boolean {
  return rankedPromptsKey !== null && audioRankingModel(rankedPromptsKey) === model;
}

/**
 * A clip still owed its Whisper transcript: scored by the current model, none yet, and not
 * reviewed (a clip the user has already decided on isn't transcribed: nobody is waiting for it).
 */
function wantsTranscript(item: AudioItem, query: AudioQuery): item is AudioItem & { contentHash: string } {
  return (
    item.state === 'done' &&
    item.contentHash !== null &&
    item.transcript === null &&
    item.decision === 'none' &&
    rankedByModel(item.rankedPromptsKey, query.model)
  );
}

function sameIds(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((id) => b.has(id));
}

/** The transcription request in flight: how to stop it and the clips it has yet to answer. */
interface TranscriptionRun {
  readonly controller: AbortController;
  readonly unanswered: Set<string>;
}

function headUseOf(head: ActiveHead | null): HeadUse | null {
  return head ? { headId: head.headId, zeroShotWeight: head.zeroShotWeight } : null;
}

/** What calibration is in effect, for the UI to say. */
export type AppliedCalibration = Calibration | 'zero-input-pending';

/**
 * Errors a request's caller need not report: a newer model load replaced it, the user stopped the
 * load (the model panel says so), or the worker crashed (the bridge restarts it and says so; once
 * the model is ready again the unscored clips are sent).
 */
function isReportedElsewhere(error: unknown): boolean {
  return (
    error instanceof SupersededError ||
    error instanceof StoppedError ||
    error instanceof WorkerCrashedError ||
    error instanceof WorkerRestartFailedError
  );
}

/** What a row says when its file can't be decoded. */
function decodeErrorMessage(error: unknown): string {
  return error instanceof AudioDecodeError ? error.message : `Could not read this file: ${String(error)}`;
}

/**
 * Connects the store to the audio worker: loads the chosen Whisper or CLAP model, decodes added
 * clips (browser decoder, main thread, async), asks the worker to score whatever isn't scored for
 * the current labels, and turns raw scores into calibrated probabilities on this side (prior
 * matching needs every clip of the batch, so it can't happen per clip in the worker).
 */
export class AudioController implements ModelChooser {
  private readonly loader: TaskModelLoader;
  private readonly runs = new RunTracker();
  private readonly rescoreSoon = new Debouncer(AUDIO_RESCORE_DEBOUNCE_MS, () => void this.rescore());
  private readonly decoding = new Set<string>();
  /** Shared by first decodes and re-decodes, so together they never exceed the bound. */
  private readonly decodeLimit = createLimiter(MAX_CONCURRENT_DECODES);
  /**
   * Decoded clips reach the store in batches, like prepared images: hundreds of files dropped at
   * once would otherwise be hundreds of store updates, each copying the clips record and waking
   * every subscriber. An id leaves `decoding` only once its patch is in the store, so it is never
   * decoded twice.
   */
  private readonly decodedClips = new PatchBatcher<AudioItem>((patches) => {
    this.store.getState().updateAudioItems(patches);
    for (const id of patches.keys()) this.decoding.delete(id);
  });
  /** Decoded audio not yet handed to the worker (it is transferred, so it leaves this thread); at most MAX_HELD_DECODED_CLIPS. */
  private readonly undelivered = new Map<string, DecodedAudio>();
  /** Content hashes the current worker holds. */
  private readonly delivered = new Set<string>();
  private readonly zeroInputScores = new Map<string, Float32Array>();
  private readonly zeroInputRequests = new Set<string>();
  /** At most one transcription request at a time; a score request cancels it (it is asked again after). */
  private transcription: TranscriptionRun | null = null;
  /** True while transcripts go into the store (the subscription then knows nothing else changed). */
  private applyingTranscripts = false;
  /** Content hashes the current worker could not transcribe (a bad clip, an error), with why: not asked again. */
  private readonly untranscribable = new Set<string>();
  /** Items scored under the current key whose audio the worker lost before their transcript came: scored again, with audio. */
  private readonly resendAudio = new Set<string>();
  /**
   * Across runs (a crash ends the run; the restarted model's rescore is a new one): a clip that
   * kills the worker each time it is sent fails on its row instead of being sent for ever.
   */
  private readonly crashes = new FruitlessCrashCounter();

  constructor(
    private readonly store: StoreApi<AppState>,
    private readonly bridge: AudioScoringBridge,
    appBaseUrl: string,
    debug: boolean,
    explicitModelChoice: boolean,
    private readonly decode: AudioDecoder = decodeAudioFile,
  ) {
    this.loader = new TaskModelLoader('audio', store, bridge, appBaseUrl, debug, explicitModelChoice, () => {
      // Another model may well take the clip this one crashed on.
      this.crashes.reset();
      this.forgetWorkerState();
    });
  }

  start(): () => void {
    const unsubscribe = this.store.subscribe((state, previous) => {
      if (!this.loader.activateIfShown(state)) return;
      if (this.loader.needsReload(state, previous)) void this.loader.load();
      if (state.audioOrder !== previous.audioOrder) this.decodeNewItems();
      // Transcripts arriving change nothing to score, and must not keep pushing a label edit's debounce back.
      const itemsChanged = state.audioItems !== previous.audioItems && !this.applyingTranscripts;
      if (itemsChanged) this.stopTranscribingReviewed(state);
      if (
        itemsChanged ||
        state.audioLabelsText !== previous.audioLabelsText ||
        state.audioTemplate !== previous.audioTemplate ||
        state.aggregation !== previous.aggregation ||
        state.models.audio.status !== previous.models.audio.status ||
        state.heads.audio !== previous.heads.audio
      )
        this.rescoreSoon.schedule();
      // A new blend weight is main-thread arithmetic on what the items hold; a new head needs the worker (above).
      if (state.calibration !== previous.calibration || state.heads.audio !== previous.heads.audio) this.applyCalibration();
    });
    this.loader.activateIfShown(this.store.getState());
    return () => {
      unsubscribe();
      this.runs.abort();
      this.bridge.terminate();
    };
  }

  chooseModel(modelId: string): void {
    this.loader.chooseModel(modelId);
  }

  cancelModelLoad(): void {
    this.loader.cancelModelLoad();
  }

  /** The worker restarted (crash) or a new model loads: it holds none of our clips any more. */
  forgetWorkerState(): void {
    this.runs.abort();
    this.transcription?.controller.abort();
    this.transcription = null;
    this.delivered.clear();
    this.untranscribable.clear();
    this.resendAudio.clear();
    this.zeroInputScores.clear();
    this.zeroInputRequests.clear();
    const state = this.store.getState();
    // The next model may transcribe the clips this one could not.
    if (state.audioTranscribing.size > 0 || state.audioTranscriptFailures.size > 0)
      state.updateAudioItems(new Map(), { audioTranscribing: new Set(), audioTranscriptFailures: new Map() });
  }

  async debugFeatures(itemName: string): Promise<{ dims: number[]; data: number[] }> {
    const item = Object.values(this.store.getState().audioItems).find((candidate) => candidate.name === itemName);
    if (!item?.contentHash) throw new Error(`No decoded clip named ${itemName}`);
    const features = await this.bridge.debugFeatures(item.contentHash);
    if (!features) throw new Error(`No model input kept for ${itemName} (open the app with ?debug=1)`);
    return { dims: features.dims, data: Array.from(features.data) };
  }

  /** Debug: the clip's first window scored with each Whisper decoder strategy, in the worker (e2e: they must agree). */
  async debugDecoderStrategies(itemName: string, prompts: string[]): Promise<DecoderStrategyScores[]> {
    const item = Object.values(this.store.getState().audioItems).find((candidate) => candidate.name === itemName);
    if (!item?.contentHash) throw new Error(`No decoded clip named ${itemName}`);
    const results = await this.bridge.debugDecoderStrategies(item.contentHash, prompts);
    if (!results) throw new Error(`The worker does not hold ${itemName}, or its model has one decoder strategy`);
    return results;
  }

  private decodeNewItems(): void {
    const { audioItems, audioOrder } = this.store.getState();
    // Removed clips' samples go with them.
    for (const id of this.undelivered.keys()) if (!audioItems[id]) this.undelivered.delete(id);
    for (const id of audioOrder) {
      const item = audioItems[id];
      if (!item || item.state !== 'decoding' || this.decoding.has(id)) continue;
      this.decoding.add(id);
      void this.decodeLimit(() => this.decodeNew(id));
    }
  }

  private async decodeNew(id: string): Promise<void> {
    const item = this.store.getState().audioItems[id];
    if (!item) {
      // Removed while it waited.
      this.decoding.delete(id);
      return;
    }
    try {
      const prepared = await this.decode(item.blob);
      if (this.undelivered.size < MAX_HELD_DECODED_CLIPS && this.store.getState().audioItems[id]) this.undelivered.set(id, prepared.decoded);
      this.decodedClips.add(id, {
        state: 'pending',
        contentHash: prepared.contentHash,
        durationSeconds: prepared.durationSeconds,
        peaks: prepared.peaks,
      });
    } catch (error) {
      this.decodedClips.add(id, { state: 'error', error: decodeErrorMessage(error) });
    }
  }

  /** A request's clips: audio only where the plan sends it, held from the first decode or decoded again (a few at a time). */
  private async clipsFor(planned: readonly PlannedClip[]): Promise<AudioClip[]> {
    const clips = await Promise.all(
      planned.map(async ({ item, sendAudio }): Promise<AudioClip | null> => {
        if (!sendAudio) return { itemId: item.id, contentHash: item.contentHash, audio: null };
        const held = this.undelivered.get(item.id);
        this.undelivered.delete(item.id);
        try {
          const audio = held ?? (await this.decodeLimit(() => this.decode(item.blob))).decoded;
          return { itemId: item.id, contentHash: item.contentHash, audio };
        } catch (error) {
          // A clip that decoded once but not again fails on its own row; the run goes on without it.
          this.decodedClips.add(item.id, { state: 'error', error: decodeErrorMessage(error) });
          return null;
        }
      }),
    );
    return clips.filter((clip) => clip !== null);
  }

  private async rescore(): Promise<void> {
    const state = this.store.getState();
    if (state.models.audio.status.state !== 'ready') return;
    const query = currentAudioQuery(state);
    if (query.labels.length === 0) return;
    this.runs.abort(query.key);
    if (state.calibration === 'zero-input') void this.ensureZeroInputScores(query);
    const running = this.runs.runningItemIds();
    const work = state.audioOrder
      .map((id) => state.audioItems[id])
      .filter(
        (item): item is AudioItem & { contentHash: string } =>
          !!item &&
          item.contentHash !== null &&
          item.state !== 'error' &&
          (item.rankedPromptsKey !== query.key || this.resendAudio.has(item.id)) &&
          !running.has(item.id),
      );
    for (const item of work) this.resendAudio.delete(item.id);
    if (work.length === 0) {
      this.applyCalibration();
      this.transcribeMissing();
      return;
    }
    // Scores first: a transcription in flight stops at its next clip (or token) and is asked again once these are in.
    this.transcription?.controller.abort();
    const run = this.runs.start(query.key, work.map((item) => item.id));
    /** The progress bar's next value; undefined while it hasn't moved since the last flush. */
    let progress: BatchProgress | null | undefined;
    // Clip outcomes, their calibration and the progress bar reach the store together, once per flush interval.
    const results = new PatchBatcher<AudioItem>((patches) => {
      const alongside: AudioBatchFields = progress === undefined ? {} : { audioBatch: progress };
      progress = undefined;
      this.applyCalibration(patches, alongside);
    });
    /** Whether the worker turned out not to hold a clip it was sent without audio (it restarted). */
    let lostAudio = false;
    // After a crash with no result since, one clip with audio per request: the next crash then names its clip alone.
    const perRequest = this.crashes.suspecting ? 1 : MAX_AUDIO_CLIPS_PER_REQUEST;
    const requests = planScoreRequests(work, (contentHash) => this.delivered.has(contentHash), perRequest);
    let upcoming: Promise<AudioClip[]> | null = null;
    /** The clips of the score request in flight that have no outcome yet. */
    const unanswered = new Set<string>();
    try {
      let scoredBefore = 0;
      for (const [index, planned] of requests.entries()) {
        const clips = await (upcoming ?? this.clipsFor(planned));
        upcoming = null;
        if (run.controller.signal.aborted) return;
        const following = requests[index + 1];
        // The next request's audio is decoded while the worker scores this one.
        if (following) upcoming = this.clipsFor(following);
        for (const clip of clips) if (clip.audio) this.delivered.add(clip.contentHash);
        unanswered.clear();
        for (const clip of clips) unanswered.add(clip.itemId);
        const offset = scoredBefore;
        const { cancelled, missingHeadId } = await this.bridge.score(query.classPrompts, state.aggregation, clips, headUseOf(query.head), {
          signal: run.controller.signal,
          onClip: (itemId, contentHash, outcome) => {
            unanswered.delete(itemId);
            if (!outcome.ok && outcome.kind === 'needs-audio') lostAudio = true;
            else this.crashes.answered();
            this.onClipScored(itemId, contentHash, outcome, query, results);
          },
          onProgress: (done) => {
            if (!this.runs.isActive(run)) return;
            // One bar for the whole run, however many requests it takes.
            progress = offset + done < work.length ? { done: offset + done, total: work.length } : null;
            results.requestFlush();
          },
        });
        if (missingHeadId !== null) this.forgetLostHead(missingHeadId);
        if (cancelled) return;
        scoredBefore += clips.length;
      }
    } catch (error) {
      if (error instanceof WorkerCrashedError) this.failCrashingClips(this.crashes.crashed(unanswered), query, results);
      if (isReportedElsewhere(error)) return;
      this.store.getState().setModelNotice('audio', { text: error instanceof Error ? error.message : String(error) });
    } finally {
      // Audio decoded for a request that will never be sent is dropped; a decode failure there was the run's to report.
      upcoming?.catch(() => undefined);
      const lastRun = this.runs.finish(run);
      if (lastRun) {
        progress = null;
        results.requestFlush();
      }
      results.flush();
      if (lastRun) this.transcribeMissing();
      // Passes while this run went on skipped its clips; those it couldn't score go again now (with audio).
      if (lostAudio) this.rescoreSoon.schedule();
    }
  }

  /** The worker crashed again and again on these clips without a result in between: they fail, and are not sent again. */
  private failCrashingClips(itemIds: readonly string[], query: AudioQuery, results: PatchBatcher<AudioItem>): void {
    for (const itemId of itemIds)
      results.add(itemId, {
        state: 'error',
        error: CRASHING_CLIP_ERROR,
        rawScores: null,
        headProbabilities: null,
        predictions: [],
        classifier: 'zero-shot',
        rankedPromptsKey: query.key,
      });
  }

  private onClipScored(itemId: string, contentHash: string, outcome: ClipOutcome, query: AudioQuery, results: PatchBatcher<AudioItem>): void {
    if (outcome.ok) {
      const item = this.store.getState().audioItems[itemId];
      // The worker's transcript when it has one; else the clip's own if this model made it (a label
      // edit keeps it); else none until the transcription request that follows the scores brings it.
      const transcript =
        outcome.transcript ??
        (query.family === 'whisper' && item && rankedByModel(item.rankedPromptsKey, query.model) ? item.transcript : null);
      results.add(itemId, {
        state: 'done',
        error: null,
        rawScores: outcome.scores,
        headProbabilities: outcome.headProbabilities,
        rankedPromptsKey: query.key,
        transcript,
        transcriptSeconds: transcript !== null && outcome.windows > 1 ? outcome.windowSeconds : null,
        note: windowNote(outcome),
      });
      return;
    }
    if (outcome.kind === 'needs-audio') {
      // The worker lost this clip (it restarted): send the audio again on the next pass, once this run is over.
      this.delivered.delete(contentHash);
      return;
    }
    results.add(itemId, {
      state: 'error',
      error: outcome.message,
      rawScores: null,
      headProbabilities: null,
      predictions: [],
      classifier: 'zero-shot',
      rankedPromptsKey: query.key,
    });
  }

  /**
   * Asks the worker for the transcripts still owed (see wantsTranscript) of clips it holds, once no
   * score run is going: scores never wait behind a transcription. One request at a time; when it
   * ends (done, cancelled by a score request or a review) this runs again for what is still missing.
   */
  private transcribeMissing(): void {
    if (this.transcription || this.runs.runningItemIds().size > 0) return;
    const state = this.store.getState();
    const query = currentAudioQuery(state);
    const wanted =
      state.models.audio.status.state === 'ready' && query.family === 'whisper'
        ? state.audioOrder
            .map((id) => state.audioItems[id])
            .filter(
              (item): item is AudioItem & { contentHash: string } =>
                !!item && wantsTranscript(item, query) && this.delivered.has(item.contentHash) && !this.untranscribable.has(item.contentHash),
            )
        : [];
    // Owed a transcript but no longer in the worker (it restarted, or answered needs-audio): their
    // scores are current, so only a score request that carries their audio again brings them back.
    const lost =
      state.models.audio.status.state === 'ready' && query.family === 'whisper'
        ? state.audioOrder.filter((id) => {
            const item = state.audioItems[id];
            return !!item && wantsTranscript(item, query) && !this.delivered.has(item.contentHash) && !this.untranscribable.has(item.contentHash);
          })
        : [];
    if (lost.some((id) => !this.resendAudio.has(id))) {
      for (const id of lost) this.resendAudio.add(id);
      this.rescoreSoon.schedule();
    }
    const transcribing = new Set(wanted.map((item) => item.id));
    if (!sameIds(transcribing, state.audioTranscribing)) state.updateAudioItems(new Map(), { audioTranscribing: transcribing });
    if (wanted.length === 0) return;
    const run: TranscriptionRun = { controller: new AbortController(), unanswered: new Set(transcribing) };
    this.transcription = run;
    // Transcripts reach the store in batches like scores; they patch only the transcript fields, so nothing moves.
    /** Clips the worker could not transcribe in this run, with why, for their rows (written with the next flush). */
    const failures = new Map<string, string>();
    const transcripts = new PatchBatcher<AudioItem>((patches) => {
      // A model switch or a worker restart ended this run: its transcripts are the old model's.
      if (this.transcription !== run) return;
      const state = this.store.getState();
      const still = new Set([...state.audioTranscribing].filter((id) => !patches.has(id) && run.unanswered.has(id)));
      const failed = failures.size > 0 ? { audioTranscriptFailures: new Map([...state.audioTranscriptFailures, ...failures]) } : {};
      failures.clear();
      this.applyingTranscripts = true;
      try {
        state.updateAudioItems(patches, { audioTranscribing: still, ...failed });
      } finally {
        this.applyingTranscripts = false;
      }
    });
    const clips = wanted.map((item) => ({ itemId: item.id, contentHash: item.contentHash }));
    void this.bridge
      .transcribe(clips, {
        signal: run.controller.signal,
        onTranscript: (itemId, contentHash, outcome) => {
          run.unanswered.delete(itemId);
          this.onTranscript(itemId, contentHash, outcome, transcripts, failures);
        },
      })
      .catch((error: unknown) => {
        if (!isReportedElsewhere(error))
          this.store.getState().setModelNotice('audio', { text: `Transcription failed: ${error instanceof Error ? error.message : String(error)}` });
      })
      .finally(() => {
        transcripts.flush();
        if (this.transcription !== run) return;
        this.transcription = null;
        this.transcribeMissing();
      });
  }

  private onTranscript(
    itemId: string,
    contentHash: string,
    outcome: TranscriptOutcome,
    transcripts: PatchBatcher<AudioItem>,
    failures: Map<string, string>,
  ): void {
    const item = this.store.getState().audioItems[itemId];
    // Removed, or another file in its place since it was asked for.
    if (!item || item.contentHash !== contentHash) return;
    if (outcome.ok) {
      transcripts.add(itemId, { transcript: outcome.transcript, transcriptSeconds: outcome.coveredSeconds });
      return;
    }
    // The worker lost the clip (it restarted): the next score run sends its audio again.
    if (outcome.kind === 'needs-audio') this.delivered.delete(contentHash);
    else {
      this.untranscribable.add(contentHash);
      failures.set(itemId, outcome.message);
    }
    transcripts.requestFlush();
  }

  /** A clip reviewed (or removed) while its transcript is on its way doesn't get one: the request is cancelled and asked again without it. */
  private stopTranscribingReviewed(state: AppState): void {
    const run = this.transcription;
    if (!run || run.controller.signal.aborted) return;
    for (const id of run.unanswered) {
      const item = state.audioItems[id];
      if (!item || item.decision !== 'none') {
        run.controller.abort();
        return;
      }
    }
  }

  /** The worker restarted and no longer holds the head the items used: they go back to zero-shot, and the user is told. */
  private forgetLostHead(headId: string): void {
    const state = this.store.getState();
    if (state.heads.audio?.headId !== headId) return;
    state.setHead('audio', null);
    state.setModelNotice('audio', { text: 'The audio model restarted and lost the trained head; the clips are ranked zero-shot again. Train or import the head again to use it.' });
  }

  private async ensureZeroInputScores(query: AudioQuery): Promise<void> {
    if (this.zeroInputScores.has(query.promptsKey) || this.zeroInputRequests.has(query.promptsKey)) return;
    this.zeroInputRequests.add(query.promptsKey);
    try {
      const scores = await this.bridge.zeroInputScores(query.classPrompts, this.store.getState().aggregation);
      this.zeroInputScores.set(query.promptsKey, scores);
      this.applyCalibration();
    } catch (error) {
      if (!isReportedElsewhere(error))
        this.store.getState().setModelNotice('audio', { text: `Zero-input calibration failed: ${error instanceof Error ? error.message : String(error)}` });
    } finally {
      this.zeroInputRequests.delete(query.promptsKey);
    }
  }

  /**
   * Recomputes every scored clip's probabilities under the chosen calibration (prior matching
   * needs the whole batch), with `pending` clip results and `alongside` batch fields folded into
   * the same single store update.
   */
  applyCalibration(pending: ReadonlyMap<string, Partial<AudioItem>> = new Map(), alongside: AudioBatchFields = {}): void {
    const state = this.store.getState();
    const query = currentAudioQuery(state);
    const withPending = (id: string): AudioItem | undefined => {
      const item = state.audioItems[id];
      const patch = pending.get(id);
      return item && patch ? { ...item, ...patch } : item;
    };
    const scored = state.audioOrder
      .map(withPending)
      .filter((item): item is AudioItem & { rawScores: Float32Array } => !!item && item.rawScores !== null && item.rankedPromptsKey === query.key);
    let calibration: Calibration = state.calibration;
    let applied: AppliedCalibration = calibration;
    const zero = this.zeroInputScores.get(query.promptsKey) ?? null;
    if (calibration === 'zero-input' && !zero) {
      // Until the silent clip's scores arrive, show uncalibrated probabilities and say so.
      if (state.models.audio.status.state === 'ready') void this.ensureZeroInputScores(query);
      calibration = 'none';
      applied = 'zero-input-pending';
    }
    const probabilities = scored.length > 0 ? calibratedProbabilities(scored.map((item) => item.rawScores), calibration, zero) : [];
    const { head } = query;
    const patches = new Map(pending);
    scored.forEach((item, index) => {
      const zeroShot = probabilities[index] ?? [];
      // With a head in use: its probabilities (from the worker) blended with the calibrated zero-shot ones, per row.
      const fromHead = head !== null && item.headProbabilities !== null && head.zeroShotWeight < 1;
      const shown = fromHead && item.headProbabilities ? Array.from(blendProbabilities(item.headProbabilities, zeroShot, head.zeroShotWeight)) : zeroShot;
      const classifier = fromHead ? head.kind : 'zero-shot';
      const predictions = rankLabels(query.labels, shown);
      // Only real changes: an unchanged item patched anyway would re-trigger rescoring (and saving) forever.
      if (!sameRanking(predictions, item.predictions) || classifier !== item.classifier)
        patches.set(item.id, { ...pending.get(item.id), predictions, classifier });
    });
    state.updateAudioItems(patches, state.appliedCalibration === applied ? alongside : { ...alongside, appliedCalibration: applied });
  }
}
