/// <reference types="vite/client" />
/**
 * The pure-model half of the live-mode bench (bench/node/live.ts): what the model alone does for
 * one frame or one audio window, loaded exactly as the app's workers load it (loadClip, loadAudio:
 * same catalog dtype, same ORT options and threads), with nothing of the live pipeline around it.
 * The live figures of the built app are divided by these.
 */
import * as ort from 'onnxruntime-web/webgpu';
import { builtinLoadRequest, clipInputSide, ortThreads } from './engineLoad';
import { workersSpawned } from './countWorkers';
import { disposeClip, loadClip } from '../../src/features/image/worker/loadModel';
import { disposeAudio, loadAudio } from '../../src/features/audio/worker/loadAudioModel';
import { WhisperScorer } from '../../src/features/audio/worker/whisperScorer';
import { downmixToMono, resample } from '../../src/lib/audio';
import { makeSyntheticClip } from '../shared/clips';
import { randomPixels } from '../shared/random';
import { timeRepeatedRuns } from '../shared/timing';
import type { BenchCommandMap, LiveVisionRate, LiveWhisperWindowRate } from '../shared/protocol';

type LiveCommand = 'liveVisionRate' | 'liveWhisperWindowRate';
type LiveHandlers = { [C in LiveCommand]: (args: BenchCommandMap[C]['args']) => Promise<BenchCommandMap[C]['result']> };

const PIXEL_SEED = 4321;

export const liveHandlers: LiveHandlers = {
  /**
   * `session.run` of the vision tower at batch 1 on one fixed pixel tensor, back to back: the most
   * frames per second this model gives on this machine. The session is the one the app's loadClip
   * creates (transformers.js, the catalog's dtype for WASM); the loop calls ORT directly.
   */
  async liveVisionRate({ modelId, minSeconds, reps, warmupRuns }): Promise<LiveVisionRate> {
    const started = performance.now();
    const clip = await loadClip(builtinLoadRequest(modelId), () => {});
    const loadMs = performance.now() - started;
    try {
      const session = (clip.visionModel.sessions as Record<string, ort.InferenceSession>)['model'];
      if (!session) throw new Error('transformers.js created no "model" session for the vision tower');
      const side = await clipInputSide(modelId);
      const inputName = session.inputNames[0] as string;
      const inputDims = [1, 3, side, side];
      // The same ORT instance transformers.js runs on (the bench's env command checks it: sameOrtInstance).
      const feeds = { [inputName]: new ort.Tensor('float32', randomPixels(3 * side * side, PIXEL_SEED), inputDims) };
      const msPerRun = await timeRepeatedRuns(() => session.run(feeds), minSeconds, reps, warmupRuns);
      return { msPerRun, inputDims, dtype: clip.info.dtype, backend: clip.info.backend, loadMs, ortNumThreads: ortThreads(), pthreadWorkersSpawned: workersSpawned() };
    } finally {
      await disposeClip(clip);
    }
  },

  /**
   * One live audio window's model work, back to back on new windows: WhisperScorer.encode (log-mel
   * of the window + encoder) and WhisperScorer.score (the prompt once, then all labels in one
   * decoder call), and the greedy transcription from the encoder output (timed apart: the live
   * timeline shows what Whisper heard). Each repetition is a new window object, so no prompt state
   * carries over, as in live mode where every window is new.
   */
  async liveWhisperWindowRate({ modelId, windowSeconds, prompts, reps, warmupRuns }): Promise<LiveWhisperWindowRate> {
    const started = performance.now();
    const loaded = await loadAudio(builtinLoadRequest(modelId), () => {});
    const loadMs = performance.now() - started;
    try {
      const scorer = loaded.scorer;
      if (!(scorer instanceof WhisperScorer)) throw new Error(`${modelId} is not a Whisper model`);
      const clip = makeSyntheticClip('noise bursts', windowSeconds, PIXEL_SEED);
      const samples = resample(downmixToMono([clip.samples]), clip.sampleRate, scorer.sampleRate);
      const scoreMs: number[] = [];
      const transcribeMs: number[] = [];
      let transcript = '';
      for (let rep = 0; rep < warmupRuns + reps; rep++) {
        const windowStarted = performance.now();
        const { encoded } = await scorer.encode(samples, { keepInput: false });
        await scorer.score(encoded, prompts, { decoderRuns: 0, labelRowsScored: 0, promptRuns: 0, textRuns: 0, textsEmbedded: 0 });
        const scoredAt = performance.now();
        transcript = (await scorer.transcribe(encoded, () => false)) ?? '';
        const transcribedAt = performance.now();
        scorer.forgetWindow(encoded);
        if (rep < warmupRuns) continue;
        scoreMs.push(scoredAt - windowStarted);
        transcribeMs.push(transcribedAt - scoredAt);
      }
      return { scoreMs, transcribeMs, transcript, windowSeconds, loadMs, ortNumThreads: ortThreads(), pthreadWorkersSpawned: workersSpawned() };
    } finally {
      await disposeAudio(loaded);
    }
  },
};
