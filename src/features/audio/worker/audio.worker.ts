/// <reference lib="webworker" />
import { serveModelWorker } from '../../models/worker';
import { audioTransferablesOf, type AudioTaskEvent, type AudioTaskRequest } from '../shared/protocol';
import { type AudioWorkerStats } from '../../../lib/workerReports';
import { AudioEngine } from './audioEngine';
import { answerLabRequest } from './audioLab';
import { disposeAudio, loadAudio, type LoadedAudio } from './loadAudioModel';

serveModelWorker<LoadedAudio, AudioWorkerStats, AudioEngine, AudioTaskRequest, AudioTaskEvent>({
  load: loadAudio,
  dispose: disposeAudio,
  createEngine: (model, request, previousStats) => new AudioEngine(model, request.keepInputsForDebug, previousStats),
  async runTask(engine, request, { isCancelled, post, postStats }) {
    const { requestId } = request;
    switch (request.type) {
      case 'score': {
        const result = await engine.score(request, {
          isCancelled,
          onClip: (clip, outcome) => post({ type: 'clipResult', requestId, itemId: clip.itemId, contentHash: clip.contentHash, outcome }),
          onProgress: (done, total) => post({ type: 'scoreProgress', requestId, done, total }),
          onStats: postStats,
        });
        post({ type: 'scored', requestId, cancelled: result.cancelled, missingHeadId: result.missingHeadId });
        return;
      }
      case 'transcribe': {
        const result = await engine.transcribe(request, {
          isCancelled,
          onTranscript: (clip, outcome) => post({ type: 'transcript', requestId, itemId: clip.itemId, contentHash: clip.contentHash, outcome }),
          onStats: postStats,
        });
        post({ type: 'transcribed', requestId, cancelled: result.cancelled });
        return;
      }
      case 'zeroInput': {
        const scores = await engine.zeroInputScores(request.classPrompts, request.aggregation);
        postStats(engine.currentStats());
        post({ type: 'zeroInputScores', requestId, scores });
        return;
      }
      case 'scoreLiveWindow': {
        const result = await engine.scoreLiveWindow(request, isCancelled);
        postStats(engine.currentStats());
        post({ type: 'liveWindowScored', requestId, startMs: request.startMs, ...result });
        return;
      }
      case 'debugFeatures': {
        const input = engine.inputFor(request.contentHash);
        post({ type: 'debugFeatures', requestId, dims: input?.dims ?? [], data: input ? input.data.slice() : null });
        return;
      }
      case 'debugDecoderStrategies': {
        const results = await engine.decoderStrategyScores(request.contentHash, request.prompts);
        postStats(engine.currentStats());
        post({ type: 'debugDecoderStrategies', requestId, results });
        return;
      }
      default: {
        try {
          await answerLabRequest(engine, request, { isCancelled, post });
        } finally {
          // Lab work may encode clips again (the encoder cache is bounded): the counters say so.
          postStats(engine.currentStats());
        }
        return;
      }
    }
  },
  cancelledReply: (request) => {
    switch (request.type) {
      case 'score':
        return { type: 'scored', requestId: request.requestId, cancelled: true, missingHeadId: null };
      case 'transcribe':
        return { type: 'transcribed', requestId: request.requestId, cancelled: true };
      case 'labGridSearch':
        return { type: 'labGridResult', requestId: request.requestId, result: null };
      case 'labLearningCurve':
        return { type: 'labLearningCurveResult', requestId: request.requestId, curve: null };
      default:
        return null;
    }
  },
  transferablesOf: audioTransferablesOf,
});
