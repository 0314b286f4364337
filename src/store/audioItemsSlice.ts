import type { StateCreator } from 'zustand';
import type { Calibration } from '../lib/audioScoring';
import type { HeadKind } from '../lib/fewShot';
import type { RankedLabel } from '../lib/scoring';
import type { BatchProgress, WorkspaceItemFields } from './itemsSlice';
import type { AppState } from './index';


/** The microphone recorder's state, as the recorder reports it and the record button shows it. */
export type RecorderStatus =
  | { state: 'idle' }
  | { state: 'starting' }
  | { state: 'recording'; elapsedSeconds: number; level: number }
  | { state: 'error'; message: string };

export type AudioItemState = 'decoding' | 'pending' | 'done' | 'error';

export interface AudioItem extends WorkspaceItemFields {
  /** The original file or recording; played back through an object URL, never uploaded. */
  blob: Blob;
  url: string;
  contentHash: string | null;
  state: AudioItemState;
  error: string | null;
  durationSeconds: number | null;
  /** Waveform bars, 0..1. */
  peaks: number[] | null;
  /** Raw per-prompt scores from the worker for `rankedPromptsKey`; calibration turns them into predictions. */
  rawScores: Float32Array | null;
  rankedPromptsKey: string | null;
  /** The head's class probabilities from the worker when a head is in use (blended with zero-shot here). */
  headProbabilities: Float32Array | null;
  predictions: RankedLabel[];
  /** What produced `predictions`: zero-shot scoring or a few-shot head (alone or blended). */
  classifier: 'zero-shot' | HeadKind;
  transcript: string | null;
  /** Seconds the transcript covers when the clip is longer (Whisper transcribes its first window). */
  transcriptSeconds: number | null;
  /** Windows or cut-off, said in words. */
  note: string | null;
}

/** Fields of the audio batch as a whole that a burst of clip results can change in the same update. */
export type AudioBatchFields = Partial<Pick<AudioItemsSlice, 'audioBatch' | 'appliedCalibration' | 'audioTranscribing' | 'audioTranscriptFailures'>>;

export interface AudioItemsSlice {
  audioItems: Record<string, AudioItem>;
  audioOrder: string[];
  audioBatch: BatchProgress | null;
  /**
   * Clips whose Whisper transcript is on its way (it follows their scores); session only. Clips
   * reviewed before it came are left out: they get none.
   */
  audioTranscribing: ReadonlySet<string>;
  /** Why the current model could not transcribe a clip, by item id (its row says so); session only. */
  audioTranscriptFailures: ReadonlyMap<string, string>;
  /** The calibration actually in effect (zero-input waits for the silent clip's scores). */
  appliedCalibration: Calibration | 'zero-input-pending';
  setAppliedCalibration: (calibration: Calibration | 'zero-input-pending') => void;
  recorderStatus: RecorderStatus;
  setRecorderStatus: (status: RecorderStatus) => void;
  addAudioItems: (items: AudioItem[]) => void;
  updateAudioItem: (id: string, patch: Partial<AudioItem>) => void;
  /**
   * One store update for many items (a burst of results; calibration over a batch changes them all
   * at once), together with the batch-wide fields that changed with them. Nothing to change, no update.
   */
  updateAudioItems: (patches: ReadonlyMap<string, Partial<AudioItem>>, alongside?: AudioBatchFields) => void;
  removeAudioItem: (id: string) => void;
  clearAudioItems: () => void;
  setAudioBatch: (batch: BatchProgress | null) => void;
}

export const createAudioItemsSlice: StateCreator<AppState, [], [], AudioItemsSlice> = (set, get) => ({
  audioItems: {},
  audioOrder: [],
  audioBatch: null,
  audioTranscribing: new Set(),
  audioTranscriptFailures: new Map(),
  appliedCalibration: 'none',
  setAppliedCalibration: (appliedCalibration) => set({ appliedCalibration }),
  recorderStatus: { state: 'idle' },
  setRecorderStatus: (recorderStatus) => set({ recorderStatus }),
  addAudioItems: (added) =>
    set((state) => ({
      audioItems: { ...state.audioItems, ...Object.fromEntries(added.map((item) => [item.id, item])) },
      audioOrder: [...state.audioOrder, ...added.map((item) => item.id)],
    })),
  updateAudioItem: (id, patch) =>
    set((state) => {
      const item = state.audioItems[id];
      return item ? { audioItems: { ...state.audioItems, [id]: { ...item, ...patch } } } : {};
    }),
  updateAudioItems: (patches, alongside = {}) => {
    // An empty set() would still wake every subscriber (and the settings' localStorage write).
    if (patches.size === 0 && Object.keys(alongside).length === 0) return;
    set((state) => {
      if (patches.size === 0) return alongside;
      const audioItems = { ...state.audioItems };
      for (const [id, patch] of patches) {
        const item = audioItems[id];
        if (item) audioItems[id] = { ...item, ...patch };
      }
      return { ...alongside, audioItems };
    });
  },
  removeAudioItem: (id) => {
    const item = get().audioItems[id];
    if (item) URL.revokeObjectURL(item.url);
    set((state) => {
      const { [id]: _removed, ...rest } = state.audioItems;
      return { audioItems: rest, audioOrder: state.audioOrder.filter((other) => other !== id) };
    });
  },
  clearAudioItems: () => {
    for (const item of Object.values(get().audioItems)) URL.revokeObjectURL(item.url);
    set({ audioItems: {}, audioOrder: [], audioBatch: null, audioTranscribing: new Set(), audioTranscriptFailures: new Map() });
    get().resetReview('audio');
  },
  setAudioBatch: (audioBatch) => set({ audioBatch }),
});
