import type { StoreApi } from 'zustand';
import { windowNote } from '../../../lib/audio';
import { buildTranscriptPrompts, calibratedProbabilities, type Calibration } from '../../../lib/audioScoring';
import { buildPrompts, parseLabels } from '../../../lib/labels';
import { rankLabels, sameRanking } from '../../../lib/scoring';
import type { AppState } from '../../../store';
import type { AudioItem } from '../../../store/audioItemsSlice';
import { Debouncer, RunTracker } from '../../models';
import { TaskModelLoader, type ModelChooser } from '../../models';
import { SupersededError } from '../../models';
import { audioCatalogEntryFor } from '../../models';
import type { AudioClip, ClipOutcome, DecodedAudio } from '../shared/protocol';
import type { AudioBridge } from './audioBridge';
import { AudioDecodeError, decodeAudioFile } from './decodeAudio';

/** Typing pauses shorter than this are treated as one edit, so each keystroke doesn't re-score. */
export const AUDIO_RESCORE_DEBOUNCE_MS = 120;

export interface AudioQuery {
  labels: string[];
  prompts: string[];
  /** Identifies the model run, aggregation and prompts that raw scores were computed for. */
  key: string;
}

export function currentAudioQuery(state: AppState): AudioQuery {
  const { labels } = parseLabels(state.audioLabelsText);
  const status = state.models.audio.status;
  const family = status.state === 'ready' ? (status.info.family ?? audioCatalogEntryFor(status.modelId).family) : 'whisper';
  // Whisper reads the label as text it would write (spacing matters); CLAP reads a caption.
  const prompts = family === 'whisper' ? buildTranscriptPrompts(state.audioTemplate, labels) : buildPrompts(state.audioTemplate, labels);
  const model = status.state === 'ready' ? `${status.info.modelId}@${status.info.backend}` : '';
  return { labels, prompts, key: [model, state.aggregation, ...prompts].join('\u0000') };
}

/** What calibration is in effect, for the UI to say. */
export type AppliedCalibration = Calibration | 'zero-input-pending';

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
  /** Decoded audio not yet handed to the worker (it is transferred, so it leaves this thread). */
  private readonly undelivered = new Map<string, DecodedAudio>();
  /** Content hashes the current worker holds. */
  private readonly delivered = new Set<string>();
  private readonly zeroInputScores = new Map<string, Float32Array>();
  private readonly zeroInputRequests = new Set<string>();

  constructor(
    private readonly store: StoreApi<AppState>,
    private readonly bridge: AudioBridge,
    appBaseUrl: string,
    debug: boolean,
    explicitModelChoice: boolean,
  ) {
    this.loader = new TaskModelLoader('audio', store, bridge, appBaseUrl, debug, explicitModelChoice, () => this.forgetWorkerState());
  }

  start(): () => void {
    const unsubscribe = this.store.subscribe((state, previous) => {
      if (!this.loader.activateIfShown(state)) return;
      if (this.loader.needsReload(state, previous)) void this.loader.load();
      if (state.audioOrder !== previous.audioOrder) this.decodeNewItems();
      if (
        state.audioItems !== previous.audioItems ||
        state.audioLabelsText !== previous.audioLabelsText ||
        state.audioTemplate !== previous.audioTemplate ||
        state.aggregation !== previous.aggregation ||
        state.models.audio.status !== previous.models.audio.status
      )
        this.rescoreSoon.schedule();
      if (state.calibration !== previous.calibration) this.applyCalibration();
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

  /** The worker restarted (crash) or a new model loads: it holds none of our clips any more. */
  forgetWorkerState(): void {
    this.runs.abort();
    this.delivered.clear();
    this.zeroInputScores.clear();
    this.zeroInputRequests.clear();
  }

  async debugFeatures(itemName: string): Promise<{ dims: number[]; data: number[] }> {
    const item = Object.values(this.store.getState().audioItems).find((candidate) => candidate.name === itemName);
    if (!item?.contentHash) throw new Error(`No decoded clip named ${itemName}`);
    const features = await this.bridge.debugFeatures(item.contentHash);
    if (!features) throw new Error(`No model input kept for ${itemName} (open the app with ?debug=1)`);
    return { dims: features.dims, data: Array.from(features.data) };
  }

  private decodeNewItems(): void {
    const { audioItems, audioOrder } = this.store.getState();
    for (const id of audioOrder) {
      const item = audioItems[id];
      if (!item || item.state !== 'decoding' || this.decoding.has(id)) continue;
      this.decoding.add(id);
      decodeAudioFile(item.blob)
        .then((prepared) => {
          this.undelivered.set(id, prepared.decoded);
          this.store.getState().updateAudioItem(id, {
            state: 'pending',
            contentHash: prepared.contentHash,
            durationSeconds: prepared.durationSeconds,
            peaks: prepared.peaks,
          });
        })
        .catch((error: unknown) =>
          this.store.getState().updateAudioItem(id, {
            state: 'error',
            error: error instanceof AudioDecodeError ? error.message : `Could not read this file: ${String(error)}`,
          }),
        )
        .finally(() => this.decoding.delete(id));
    }
  }

  /** The clip's audio for the worker: nothing if it holds it already, else the decoded copy (decoding again if it was handed over before). */
  private async clipFor(item: AudioItem & { contentHash: string }): Promise<AudioClip> {
    if (this.delivered.has(item.contentHash)) return { itemId: item.id, contentHash: item.contentHash, audio: null };
    const audio = this.undelivered.get(item.id) ?? (await decodeAudioFile(item.blob)).decoded;
    this.undelivered.delete(item.id);
    this.delivered.add(item.contentHash);
    return { itemId: item.id, contentHash: item.contentHash, audio };
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
          !!item && item.contentHash !== null && item.state !== 'error' && item.rankedPromptsKey !== query.key && !running.has(item.id),
      );
    if (work.length === 0) {
      this.applyCalibration();
      return;
    }
    const run = this.runs.start(query.key, work.map((item) => item.id));
    try {
      const clips = await Promise.all(work.map((item) => this.clipFor(item)));
      if (run.controller.signal.aborted) {
        // Handed-over audio stays with us until it's really sent.
        for (const clip of clips) if (clip.audio) this.delivered.delete(clip.contentHash);
        return;
      }
      await this.bridge.score(query.prompts, state.aggregation, clips, {
        signal: run.controller.signal,
        onClip: (itemId, contentHash, outcome) => this.onClipScored(itemId, contentHash, outcome, query),
        onProgress: (done, total) => {
          if (this.runs.isActive(run)) this.store.getState().setAudioBatch(done < total ? { done, total } : null);
        },
      });
    } catch (error) {
      if (error instanceof SupersededError) return;
      this.store.getState().setModelNotice('audio', { text: error instanceof Error ? error.message : String(error) });
    } finally {
      if (this.runs.finish(run)) this.store.getState().setAudioBatch(null);
    }
  }

  private onClipScored(itemId: string, contentHash: string, outcome: ClipOutcome, query: AudioQuery): void {
    const update = this.store.getState().updateAudioItem;
    if (outcome.ok) {
      update(itemId, {
        state: 'done',
        error: null,
        rawScores: outcome.scores,
        rankedPromptsKey: query.key,
        transcript: outcome.transcript,
        transcriptSeconds: outcome.windows > 1 ? outcome.windowSeconds : null,
        note: windowNote(outcome),
      });
      this.applyCalibration();
      return;
    }
    if (outcome.kind === 'needs-audio') {
      // The worker lost this clip (it restarted): send the audio again on the next pass.
      this.delivered.delete(contentHash);
      this.rescoreSoon.schedule();
      return;
    }
    update(itemId, { state: 'error', error: outcome.message, rawScores: null, predictions: [], rankedPromptsKey: query.key });
  }

  private async ensureZeroInputScores(query: AudioQuery): Promise<void> {
    if (this.zeroInputScores.has(query.key) || this.zeroInputRequests.has(query.key)) return;
    this.zeroInputRequests.add(query.key);
    try {
      const scores = await this.bridge.zeroInputScores(query.prompts, this.store.getState().aggregation);
      this.zeroInputScores.set(query.key, scores);
      this.applyCalibration();
    } catch (error) {
      if (!(error instanceof SupersededError))
        this.store.getState().setModelNotice('audio', { text: `Zero-input calibration failed: ${error instanceof Error ? error.message : String(error)}` });
    } finally {
      this.zeroInputRequests.delete(query.key);
    }
  }

  /** Recomputes every scored clip's probabilities under the chosen calibration, in one store update. */
  applyCalibration(): void {
    const state = this.store.getState();
    const query = currentAudioQuery(state);
    const scored = state.audioOrder
      .map((id) => state.audioItems[id])
      .filter((item): item is AudioItem & { rawScores: Float32Array } => !!item && item.rawScores !== null && item.rankedPromptsKey === query.key);
    let calibration: Calibration = state.calibration;
    let applied: AppliedCalibration = calibration;
    const zero = this.zeroInputScores.get(query.key) ?? null;
    if (calibration === 'zero-input' && !zero) {
      // Until the silent clip's scores arrive, show uncalibrated probabilities and say so.
      if (state.models.audio.status.state === 'ready') void this.ensureZeroInputScores(query);
      calibration = 'none';
      applied = 'zero-input-pending';
    }
    const probabilities = scored.length > 0 ? calibratedProbabilities(scored.map((item) => item.rawScores), calibration, zero) : [];
    const patches = new Map<string, Pick<AudioItem, 'predictions'>>();
    scored.forEach((item, index) => {
      const predictions = rankLabels(query.labels, probabilities[index] ?? []);
      // Only real changes: an unchanged item patched anyway would re-trigger rescoring (and saving) forever.
      if (!sameRanking(predictions, item.predictions)) patches.set(item.id, { predictions });
    });
    state.updateAudioItems(patches);
    if (state.appliedCalibration !== applied) state.setAppliedCalibration(applied);
  }
}
