import type { BenchResults } from './main';

const ms = (value: number): string => (value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(value < 10 ? 2 : 0)} ms`);
const ratio = (value: number): string => `${value >= 100 ? value.toFixed(0) : value.toFixed(value >= 10 ? 1 : 2)}×`;
const rate = (value: number): string => `${value.toFixed(value >= 100 ? 0 : 1)} img/s`;

/** The results as a Markdown table plus the context needed to read it (threads, isolation, load). */
export function renderMarkdown(results: BenchResults): string {
  const lines: string[] = [];
  const threads = results.models[0]?.throughput.browser.ortNumThreads ?? results.browser.configuredThreads;
  lines.push(
    `| Model | Measurement | Zero-Shot Playground | Baseline (same run) | Ratio | Target |`,
    `|---|---|---|---|---|---|`,
  );
  for (const model of results.models) {
    const { rerank, throughput, batched } = model;
    const visionRuns = rerank.engineStatsPerRerank.reduce((sum, s) => sum + s.visionRuns, 0);
    const texts = rerank.engineStatsPerRerank.map((s) => s.textsEmbedded);
    lines.push(
      `| ${model.title} | Re-rank ${rerank.images} images after a label edit (1 changed + 1 added) | ClipEngine: ${ms(rerank.engineMedianMs)} (vision runs: ${visionRuns}, prompts embedded: ${[...new Set(texts)].join('/')} per edit) | pipeline, ${rerank.images} images × ${rerank.labelsB.length} labels: ${ms(rerank.pipelineMedianMs)} | **${ratio(rerank.speedup)}** faster | ≥ 100× |`,
      `| ${model.title} | Vision tower, batch ${throughput.batch}, ${throughput.inputDims.slice(1).join('×')}, ${threads} thread${threads === 1 ? '' : 's'} | Chromium WASM: ${rate(throughput.browser.median)} | onnxruntime-node: ${rate(throughput.native.median)} | **${throughput.ratio.toFixed(2)}** browser/native | ≥ 0.5 |`,
      `| ${model.title} | Embed ${batched.images} new images, 1 label | ClipEngine, batches of 8: ${ms(batched.engineMedianMs)} | pipeline, one image per call: ${ms(batched.pipelineMedianMs)} | **${ratio(batched.speedup)}** faster | ≥ 1.5× |`,
    );
  }
  lines.push('');
  const { browser, machine } = results;
  lines.push(
    `Medians of ${results.quick ? 'a quick run (fewer repetitions)' : 'several repetitions'}, ${results.generatedAt.slice(0, 10)}; ` +
      `headless Chromium (${/Chrome\/[\d.]+/.exec(browser.userAgent)?.[0] ?? 'Chromium'}), WASM backend, fp32; ` +
      `page cross-origin isolated: ${browser.pageCrossOriginIsolated}, worker: ${browser.crossOriginIsolated}; ` +
      `ORT-web threads: ${threads} (pthread workers spawned: ${results.models.map((m) => m.throughput.browser.pthreadWorkersSpawned).join('/')}); ` +
      `onnxruntime-node ${results.models[0]?.throughput.native.ortVersion ?? ''} intraOpNumThreads: ${results.models[0]?.throughput.native.intraOpNumThreads ?? ''}; ` +
      `${machine.logicalCpus} logical CPUs (${machine.cpuModel}), load average ${machine.loadavgAtStart[0]?.toFixed(2)} at start, ${machine.loadavgAtEnd[0]?.toFixed(2)} at end.`,
  );
  if (results.skipped.length > 0)
    lines.push('', `Skipped (model files missing): ${results.skipped.map((s) => `${s.key} (${s.missing.join(', ')})`).join('; ')}.`);
  lines.push('');
  return lines.join('\n');
}
