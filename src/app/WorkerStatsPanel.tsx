import { useAppStore } from '../store';

/** The worker's counters, so anyone (and the tests) can see that a label edit didn't re-run the vision model. */
export function WorkerStatsPanel() {
  const stats = useAppStore((s) => s.workerStats);
  return (
    <p
      data-testid="worker-stats"
      data-images-embedded={stats.imagesEmbedded}
      data-vision-runs={stats.visionRuns}
      data-texts-embedded={stats.textsEmbedded}
      data-text-runs={stats.textRuns}
      className="text-xs text-slate-500"
    >
      Vision model: {stats.imagesEmbedded} images in {stats.visionRuns} runs · text model: {stats.textsEmbedded} prompts in{' '}
      {stats.textRuns} runs · cached: {stats.imageCacheSize} images, {stats.textCacheSize} prompts
    </p>
  );
}
