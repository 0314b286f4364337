/// <reference lib="webworker" />
import { serveModelWorker } from '../../models/worker';
import { transferablesOf, type ClipTaskEvent, type ClipTaskRequest } from '../shared/protocol';
import { type WorkerStats } from '../../../lib/workerReports';
import { ClipEngine } from './clipEngine';
import { runLabCommand, type KeptHead } from './clipLab';
import { disposeClip, loadClip, type LoadedClip } from './loadModel';
import { PersistentEmbeddings } from './persistentEmbeddings';

/** One connection for the worker's life, shared by the engines of successive models (keys carry the model). */
const storedEmbeddings = new PersistentEmbeddings();
/**
 * Trained heads outlive an engine, so a WebGPU failure that reloads the model on WASM keeps them
 * (each model load gets a fresh worker, so they never meet another model).
 */
const keptHeads = new Map<string, KeptHead>();

/** How often the counters are sent while live frames stream (they change every frame). */
const LIVE_STATS_INTERVAL_MS = 1000;
let lastLiveStatsPost = Number.NEGATIVE_INFINITY;

serveModelWorker<LoadedClip, WorkerStats, ClipEngine, ClipTaskRequest, ClipTaskEvent>({
  load: loadClip,
  dispose: disposeClip,
  createEngine: (model, request, previousStats) => new ClipEngine(model, request.keepInputsForDebug, previousStats, storedEmbeddings, keptHeads),
  async runTask(engine, request, { isCancelled, post, postStats }) {
    const lab = { isCancelled, post };
    switch (request.type) {
      case 'classify': {
        const result = await engine.classify(request, {
          isCancelled,
          onItem: (item, outcome) =>
            post({ type: 'itemResult', requestId: request.requestId, itemId: item.itemId, contentHash: item.contentHash, outcome }),
          onBatchProgress: (done, total) => post({ type: 'batchProgress', requestId: request.requestId, done, total }),
          onStats: postStats,
        });
        post({ type: 'classified', requestId: request.requestId, cancelled: result.cancelled });
        return;
      }
      case 'classifyFrame': {
        const textRuns = engine.currentStats().textRuns;
        const result = await engine.classifyFrame(request);
        post({ type: 'frameResult', requestId: request.requestId, ...result });
        // Counters at most once a second while live (each one is a store update on the page), at once when the text model ran.
        const now = performance.now();
        if (engine.currentStats().textRuns !== textRuns || now - lastLiveStatsPost >= LIVE_STATS_INTERVAL_MS) {
          lastLiveStatsPost = now;
          postStats(engine.currentStats());
        }
        return;
      }
      case 'debugPixels': {
        const pixels = engine.pixelsFor(request.contentHash);
        post({ type: 'debugPixels', requestId: request.requestId, dims: pixels?.dims ?? [], data: pixels ? pixels.data.slice() : null });
        return;
      }
      case 'labGridSearch':
      case 'labTrainHead':
      case 'labLearningCurve':
      case 'labExportHead':
      case 'labImportHead':
      case 'labBiasProbe':
        await runLabCommand(engine, request, lab);
        // The lab embeds prompts (cached for the items' re-ranking too): the counters say so.
        postStats(engine.currentStats());
        return;
    }
  },
  cancelledReply: (request) => {
    switch (request.type) {
      case 'classify':
        return { type: 'classified', requestId: request.requestId, cancelled: true };
      case 'labGridSearch':
        return { type: 'labGridResult', requestId: request.requestId, result: null };
      case 'labLearningCurve':
        return { type: 'labLearningCurveResult', requestId: request.requestId, curve: null };
      default:
        // The rest are short and have no cancelled reply: they run.
        return null;
    }
  },
  transferablesOf,
});
