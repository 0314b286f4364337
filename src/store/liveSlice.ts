import type { StateCreator } from 'zustand';
import type { LiveSource } from '../lib/urlState';
import type { AppState } from './index';

/**
 * Live mode's shared state: which source a link (`?live=`, a `#demo=` share link) asked to open,
 * until the live panel of that source takes the request and starts; and which source is live now,
 * so other parts of the app (the share panel, the privacy notes) can say so. The per-frame numbers
 * stay in the live controllers: they change many times a second and nothing else needs them.
 */
export interface LiveSlice {
  /** Set by a link; the matching live panel starts (the permission prompt follows) and clears it. */
  liveRequest: LiveSource | null;
  /** The source streaming now, or null. */
  liveActive: LiveSource | null;
  requestLive: (source: LiveSource | null) => void;
  setLiveActive: (source: LiveSource | null) => void;
}

export const createLiveSlice: StateCreator<AppState, [], [], LiveSlice> = (set) => ({
  liveRequest: null,
  liveActive: null,
  requestLive: (source) => set({ liveRequest: source }),
  setLiveActive: (source) => set({ liveActive: source }),
});
