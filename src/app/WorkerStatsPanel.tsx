import { useAppStore } from '../store';

/** The worker's counters, so anyone (and the tests) can see that a label edit didn't re-run the vision model. */
function ImageStats() {
  const stats = useAppStore((s) => s.workerStats);
  return (
    <p
      data-testid="worker-stats"
      data-images-embedded={stats.imagesEmbedded}
      data-images-from-storage={stats.imagesFromStorage}
      data-stored-embeddings-skipped={stats.storedEmbeddingsSkipped}
      data-vision-runs={stats.visionRuns}
      data-texts-embedded={stats.textsEmbedded}
      data-text-runs={stats.textRuns}
      data-live-frames={stats.liveFrames}
      className="text-xs text-slate-500"
    >
      Vision model: {stats.imagesEmbedded} images in {stats.visionRuns} runs · read from storage: {stats.imagesFromStorage} images
      {stats.storedEmbeddingsSkipped > 0 ? ` (${stats.storedEmbeddingsSkipped} unreadable, embedded again)` : ''} · text model: {stats.textsEmbedded} prompts in{' '}
      {stats.textRuns} runs · cached: {stats.imageCacheSize} images, {stats.textCacheSize} prompts · live frames: {stats.liveFrames}
    </p>
  );
}

/** The audio worker's counters: a label edit must not move the encoder's. */
function AudioStats() {
  const stats = useAppStore((s) => s.audioStats);
  return (
    <p
      data-testid="audio-stats"
      data-clips-encoded={stats.clipsEncoded}
      data-encoder-runs={stats.encoderRuns}
      data-decoder-runs={stats.decoderRuns}
      data-label-rows={stats.labelRowsScored}
      data-prompt-runs={stats.promptRuns}
      data-text-runs={stats.textRuns}
      data-transcripts={stats.transcripts}
      data-resamplings={stats.resamplings}
      className="text-xs text-slate-500"
    >
      Encoder: {stats.clipsEncoded} clips in {stats.encoderRuns} windows · decoder: {stats.labelRowsScored} label rows in {stats.decoderRuns}{' '}
      calls, {stats.promptRuns} prompt runs · text model: {stats.textsEmbedded} prompts in {stats.textRuns} runs · cached windows: {stats.encoderCacheSize} · resamplings:{' '}
      {stats.resamplings}
    </p>
  );
}

export function WorkerStatsPanel() {
  const task = useAppStore((s) => s.task);
  return task === 'image' ? <ImageStats /> : <AudioStats />;
}
