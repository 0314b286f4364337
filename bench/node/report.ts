import type { AudioRun, BenchResults, GridRun, ImageRun, RunInfo } from './main';
import type { ScaleModeResult, ScaleRun } from './scale';
import type { FewShotRun } from './fewShotBench';
import { renderStartup } from './startup';
import { renderPreprocessRun } from './preprocess';
import { median } from '../shared/random';
import { renderQ8 } from './q8Report';
import { renderSoak } from './soak';
import { renderLive } from './live';
import { renderBuiltinDtype } from './builtinDtype';

const ms = (value: number): string => (value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(value < 10 ? 2 : 0)} ms`);
const ratio = (value: number): string => `${value >= 100 ? value.toFixed(0) : value.toFixed(value >= 10 ? 1 : 2)}×`;
const rate = (value: number): string => `${value.toFixed(value >= 100 ? 0 : 1)} img/s`;
const unique = (values: readonly number[]): string => [...new Set(values)].join('/');

function runNote(run: RunInfo, threads: number, pthreads: string, native: string, load?: string): string {
  const { browser, machine } = run;
  return (
    `Medians of ${run.quick ? 'a quick run (fewer repetitions)' : 'several repetitions'}${load ? '' : `, ${run.generatedAt.slice(0, 10)}`}; ` +
    `headless Chromium (${/Chrome\/[\d.]+/.exec(browser.userAgent)?.[0] ?? 'Chromium'}), WASM backend, fp32; ` +
    `page cross-origin isolated: ${browser.pageCrossOriginIsolated}, worker: ${browser.crossOriginIsolated}; ` +
    `ORT-web threads: ${threads} (pthread workers spawned: ${pthreads}); ${native}` +
    `${machine.logicalCpus} logical CPUs (${machine.cpuModel}), ` +
    (load ?? `load average ${machine.loadavgAtStart[0]?.toFixed(2)} at start, ${machine.loadavgAtEnd[0]?.toFixed(2)} at end.`)
  );
}

function renderImages(results: ImageRun): string[] {
  const lines: string[] = [];
  const threads = results.models[0]?.throughput.browser.ortNumThreads ?? results.browser.configuredThreads;
  lines.push(`| Model | Measurement | Zero-Shot Playground | Baseline (same run) | Ratio | Target |`, `|---|---|---|---|---|---|`);
  for (const model of results.models) {
    const { rerank, throughput, batched } = model;
    const visionRuns = rerank.engineStatsPerRerank.reduce((sum, s) => sum + s.visionRuns, 0);
    const texts = rerank.engineStatsPerRerank.map((s) => s.textsEmbedded);
    lines.push(
      `| ${model.title} | Re-rank ${rerank.images} images after a label edit (1 changed + 1 added) | ClipEngine: ${ms(rerank.engineMedianMs)} (vision runs: ${visionRuns}, prompts embedded: ${unique(texts)} per edit) | pipeline, ${rerank.images} images × ${rerank.labelsB.length} labels: ${ms(rerank.pipelineMedianMs)} | **${ratio(rerank.speedup)}** faster | ≥ 100× |`,
      `| ${model.title} | Vision tower, batch ${throughput.batch}, ${throughput.inputDims.slice(1).join('×')}, ${threads} thread${threads === 1 ? '' : 's'} | Chromium WASM: ${rate(throughput.browser.median)} | onnxruntime-node: ${rate(throughput.native.median)} | **${throughput.ratio.toFixed(2)}** browser/native | ≥ 0.5 |`,
      `| ${model.title} | Embed ${batched.images} new images, 1 label | ClipEngine, batches of 8: ${ms(batched.engineMedianMs)} | pipeline, one image per call: ${ms(batched.pipelineMedianMs)} | **${ratio(batched.speedup)}** faster | ≥ 1.5× |`,
    );
  }
  lines.push('');
  const native = results.models[0]?.throughput.native;
  lines.push(
    runNote(
      results,
      threads,
      results.models.map((m) => m.throughput.browser.pthreadWorkersSpawned).join('/'),
      native ? `onnxruntime-node ${native.ortVersion} intraOpNumThreads: ${native.intraOpNumThreads}; ` : '',
    ),
  );
  if (results.skipped.length > 0) lines.push('', `Skipped (model files missing): ${results.skipped.map((s) => `${s.key} (${s.missing.join(', ')})`).join('; ')}.`);
  return lines;
}

function renderAudio(results: AudioRun): string[] {
  const lines: string[] = [];
  lines.push(`| Model | Measurement | Zero-Shot Playground | Baseline (same run) | Ratio | Target |`, `|---|---|---|---|---|---|`);
  const threadsSeen: number[] = [];
  const pthreadsSeen: number[] = [];
  let nativeNote = '';
  for (const model of results.whisper) {
    const { batched } = model;
    const labels = model.labels.length;
    const stats = batched.engineStats;
    threadsSeen.push(model.engineLoad.ortNumThreadsAfterInit);
    pthreadsSeen.push(model.engineLoad.pthreadWorkersSpawned);
    lines.push(
      `| ${model.title} | Score ${labels} labels on one new ${model.clip.seconds} s clip | AudioEngine.score, fresh engine: ${ms(batched.engine.medianMs)} ` +
        `(encoder runs: ${unique(stats.map((s) => s.encoderRuns))}, decoder runs: ${unique(stats.map((s) => s.decoderRuns))} for ${unique(stats.map((s) => s.labelRowsScored))} label rows, ` +
        `transcripts: ${unique(stats.map((s) => s.transcripts))}); without the greedy transcription: ${ms(batched.scorerOnly.medianMs)} | ` +
        `model.forward per label (encoder + decoder each), ${batched.naive.calls} calls: ${ms(batched.naive.medianMs)} | ` +
        `**${ratio(batched.speedup)}** faster (${ratio(batched.speedupWithoutTranscription)} without the transcription) | ≥ 5× |`,
    );
    for (const logMel of model.logMel ?? [])
      lines.push(
        `| ${model.title} | Log-mel of a ${logMel.seconds} s clip | whisperLogMel (frames over audio only): ${ms(logMel.partialMedianMs)} | ` +
          `WhisperFeatureExtractor on the 30 s padding: ${ms(logMel.fullMedianMs)} (max |Δ| ${logMel.maxAbsDiff.toExponential(1)}) | **${ratio(logMel.speedup)}** faster | — |`,
      );
    if (batched.decoder) {
      const { decoder } = batched;
      lines.push(
        `| ${model.title} | Decoder alone, ${labels} labels on one window (WhisperScorer.score vs scoreWith('tiled'), same windows) | ` +
          `prompt once with batch 1, its cache (cross-attention) shared by the label rows: ${ms(decoder.cachedMedianMs)} (${batched.scorerOnly.decoderRuns} label call${batched.scorerOnly.decoderRuns === 1 ? '' : 's'} + 1 prompt run) | ` +
          `encoder output tiled over the rows, each row from the first prompt token: ${ms(decoder.tiledMedianMs)} (${decoder.tiledDecoderRuns} call${decoder.tiledDecoderRuns === 1 ? '' : 's'}) | ` +
          `**${ratio(decoder.speedupVsTiled)}** faster (scores max abs diff ${decoder.scoresMaxAbsDiff.toExponential(1)}) | — |`,
      );
    }
    if (model.native) {
      const { browser, native } = model.native;
      lines.push(
        `| ${model.title} | Score ${labels} labels on a ${model.clip.seconds} s clip (log-mel + encoder once + batched decoder), ${browser.ortNumThreads} thread${browser.ortNumThreads === 1 ? '' : 's'} | ` +
          `Chromium WASM (WhisperScorer): ${ms(browser.totalMedianMs)} = log-mel + encoder ${ms(browser.encodeMedianMs)} (log-mel alone ${ms(browser.featuresMedianMs)}) + decoder ${ms(browser.scoreMedianMs)} (${browser.decoderRuns} decoder call${browser.decoderRuns === 1 ? '' : 's'}) | ` +
          `onnxruntime-node (log-mel by transformers.js in Node): ${ms(native.totalMedianMs)} = log-mel + encoder ${ms(native.encodeMedianMs)} (log-mel alone ${ms(native.featuresMedianMs)}) + decoder ${ms(native.scoreMedianMs)} (prompt run + 1 call, ${native.decoderRows} rows) | ` +
          `**${model.native.ratio.toFixed(2)}** browser/native (encoder ${model.native.encoderRatio.toFixed(2)}, decoder ${model.native.decoderRatio.toFixed(2)}) | ≥ 0.5 |`,
      );
      nativeNote = `onnxruntime-node ${native.ortVersion} intraOpNumThreads: ${native.intraOpNumThreads}; `;
    }
  }
  const clap = results.clap;
  if (clap) {
    threadsSeen.push(clap.engineLoad.ortNumThreadsAfterInit);
    pthreadsSeen.push(clap.engineLoad.pthreadWorkersSpawned);
    const per = clap.engineStatsPerRerank;
    const scaled = clap.pipeline.measuredClips < clap.clips;
    lines.push(
      `| ${clap.title} | Re-rank ${clap.clips} already-embedded clips (1–5 s) after a label edit (1 changed + 1 added) | ` +
        `AudioEngine.score: ${ms(clap.engine.medianMs)} (audio-tower runs: ${per.reduce((sum, s) => sum + s.encoderRuns, 0)}, text runs: ${unique(per.map((s) => s.textRuns))}, prompts embedded: ${unique(per.map((s) => s.textsEmbedded))} per edit) | ` +
        `pipeline, ${clap.clips} clips × ${clap.labelsB.length} labels: ${ms(clap.pipeline.scaledMedianMs)}` +
        `${scaled ? ` (measured on ${clap.pipeline.measuredClips} clips: ${ms(clap.pipeline.medianMs)}, scaled linearly)` : ''} | **${ratio(clap.speedup)}** faster | ≥ 50× |`,
    );
  }
  lines.push('');
  const figures = [...results.whisper, ...(clap ? [clap] : [])];
  const load =
    'each figure measured separately (1-min load average at start → end): ' +
    figures
      .map(({ title, run }) => `${title}: ${run.loadavgAtStart[0]?.toFixed(2)} → ${run.loadavgAtEnd[0]?.toFixed(2)} (${run.generatedAt.slice(0, 16).replace('T', ' ')} UTC${run.quick ? ', quick run' : ''})`)
      .join('; ') +
    '.';
  const allQuick = figures.length > 0 && figures.every(({ run }) => run.quick);
  lines.push(runNote({ ...results, quick: allQuick }, threadsSeen[0] ?? results.browser.configuredThreads, pthreadsSeen.join('/'), nativeNote, load));
  const checks: string[] = [];
  for (const model of results.whisper) {
    const words = model.batched.transcript.split(/\s+/).filter(Boolean).length;
    checks.push(
      `${model.title}: naive vs batched scores max |Δ| ${model.batched.scoresMaxAbsDiff.toExponential(1)}; the engine's transcript has ${words} word${words === 1 ? '' : 's'}`,
    );
    if (model.native)
      checks.push(
        `native vs browser scores max |Δ| ${model.native.scoresMaxAbsDiff.toExponential(1)}, log-mel max |Δ| ${model.native.native.featuresMaxAbsDiffVsBrowser?.toExponential(1) ?? 'n/a'}`,
      );
  }
  if (clap) checks.push(`CLAP engine vs pipeline probabilities max |Δ| ${clap.probabilitiesMaxAbsDiff.toExponential(1)}`);
  if (checks.length > 0) lines.push('', `Checks (same results, not just the same speed): ${checks.join('; ')}.`);
  if (results.skipped.length > 0) lines.push('', `Skipped (model files missing): ${results.skipped.map((s) => `${s.key} (${s.missing.join(', ')})`).join('; ')}.`);
  return lines;
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const offOn = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(value >= 10 ? 1 : 2)}×` : '∞ (none with it on)');

function renderScale(run: ScaleRun): string[] {
  const { on, off, ratios } = run;
  const row = (figure: string, pick: (mode: ScaleModeResult) => string, ratioValue: number) =>
    `| ${figure} | ${pick(on)} | ${pick(off)} | ${offOn(ratioValue)} |`;
  const grid = (mode: ScaleModeResult) => (mode.gridVirtualized === null ? 'no `data-virtualized` on the grid (flag not supported by this build)' : `grid data-virtualized=${mode.gridVirtualized}`);
  const longest = (mode: ScaleModeResult) =>
    mode.longTasks.longest
      .slice(0, 3)
      .map((task) => `${task.durationMs} ms at +${(task.startMs / 1000).toFixed(1)} s${task.scripts.length ? ` (${task.scripts.slice(0, 2).join('; ')})` : ''}`)
      .join(', ') || 'none';
  return [
    `| ${run.images.count} images (${run.images.sidePx}×${run.images.sidePx} PNG, ${mb(run.images.totalBytes)}) set on \`image-input\` at once | Virtualisation on (default) | Off (\`?virtualize=0\`) | Off / on |`,
    '|---|---|---|---|',
    row('Main-thread long tasks (> 50 ms) while the batch ran', (m) => String(m.longTasks.count), ratios.longTasks),
    row('… of which over 100 ms (target: 0)', (m) => String(m.longTasks.over100Ms), ratios.over100Ms),
    row('Longest task', (m) => ms(m.longTasks.longestMs), ratios.longestMs),
    row('Total long-task time', (m) => ms(m.longTasks.totalMs), ratios.totalLongTaskMs),
    row('JS heap used after a forced GC (page)', (m) => mb(m.heapUsedBytes), ratios.heapUsed),
    row('DOM elements (items in the DOM)', (m) => `${m.domElements} (${m.itemElements})`, ratios.domElements),
    row('Time from setting the files to all embedded and the batch over', (m) => ms(m.finishMs), ratios.finish),
    '',
    `${run.generatedAt.slice(0, 16).replace('T', ' ')} UTC; one run per mode, each in a fresh browser context; the built app (${run.dist}) served by \`vite preview\` ` +
      `(cross-origin isolated: ${run.crossOriginIsolated}); headless Chromium (${/Chrome\/[\d.]+/.exec(run.userAgent)?.[0] ?? 'Chromium'}); built-in clip-shapes, WASM, 30 labels; ` +
      `images embedded: on ${on.imagesEmbedded}, off ${off.imagesEmbedded}; on: ${grid(on)}; off: ${grid(off)}; ` +
      `${run.machine.logicalCpus} logical CPUs (${run.machine.cpuModel}), load average ${run.machine.loadavgAtStart[0]?.toFixed(2)} at start, ${run.machine.loadavgAtEnd[0]?.toFixed(2)} at end.`,
    '',
    `Longest tasks, on: ${longest(on)}. Off: ${longest(off)}.`,
  ];
}

const percent = (value: number): string => `${(100 * value).toFixed(1)}%`;
const scientific = (value: number): string => value.toExponential(1);

function renderFewShot(run: FewShotRun): string[] {
  const { logistic, curve } = run;
  const sameTol = logistic.sklearn.find((entry) => entry.tol === logistic.ours.tolerance);
  const lines = [
    '| Measurement | Zero-Shot Playground | Baseline (same run) | Ratio |',
    '|---|---|---|---|',
  ];
  for (const entry of logistic.sklearn) {
    lines.push(
      `| Logistic regression, ${logistic.rows} × ${logistic.dim}, ${logistic.classes} classes, C = ${logistic.C}: fit time | fitLogistic (tol ${scientific(logistic.ours.tolerance)}): ${ms(logistic.ours.medianMs)}, ${logistic.ours.iterations} iterations | scikit-learn ${logistic.sklearnVersion} lbfgs (tol ${scientific(entry.tol)}): ${ms(entry.medianMs)}, ${entry.iterations} iterations | **${ratio(entry.medianMs / logistic.ours.medianMs)}** (scikit-learn time / ours) |`,
    );
  }
  for (const entry of logistic.sklearn)
    lines.push(
      `| … agreement with scikit-learn at tol ${scientific(entry.tol)} | test accuracy ${percent(logistic.ours.testAccuracy)} (train ${percent(logistic.ours.trainAccuracy)}) | test accuracy ${percent(entry.testAccuracy)} (train ${percent(entry.trainAccuracy)}) | largest probability difference ${scientific(entry.maxProbabilityDifference.train)} train, ${scientific(entry.maxProbabilityDifference.test)} test; same class on ${percent(entry.sameClass.test)} of test rows |`,
    );
  const means = (values: number[]) => values.map((value) => percent(value)).join(' / ');
  lines.push(
    `| Learning curve, ${curve.items} items × ${curve.dim}, ${curve.classes} classes: ${curve.sizes.length} sizes (${curve.sizes.join(', ')} per class) × ${curve.splits} splits × ${curve.heads.length} heads, each with its cross-validated search | ${ms(curve.ms)} | — | — |`,
    '',
    `Learning-curve mean held-out accuracy per size (${curve.sizes.join(' / ')} per class): zero-shot ${means(curve.zeroShotMean)}; ` +
      curve.heads.map((head) => `${head} ${means(curve.headMeans[head])}`).join('; ') + '.',
    '',
    `${run.generatedAt.slice(0, 16).replace('T', ' ')} UTC; ${run.quick ? 'quick run (one timed fit each)' : `medians of ${logistic.reps} timed fits each after an untimed one`}; ` +
      `ours in Node ${run.machine.node} (V8, single thread), scikit-learn ${logistic.sklearnVersion} with numpy ${logistic.numpyVersion} (BLAS: ${logistic.blas.map((pool) => JSON.stringify(pool)).join(', ')}); ` +
      `synthetic unit-norm embeddings (seeded); ${run.machine.logicalCpus} logical CPUs (${run.machine.cpuModel}), load average ${run.machine.loadavgAtStart[0]?.toFixed(2)} at start, ${run.machine.loadavgAtEnd[0]?.toFixed(2)} at end.` +
      (sameTol ? '' : ' (scikit-learn was not run at our tolerance.)'),
  );
  return lines;
}

function renderGrid(run: GridRun): string[] {
  const { engine, pipeline, agreement } = run;
  const calls = engine.perCall.slice(1);
  const texts = unique(calls.map((c) => c.textsEmbedded));
  const textRuns = unique(calls.map((c) => c.textRuns));
  const visionRuns = calls.reduce((sum, c) => sum + c.visionRuns, 0);
  const accuracies = engine.singleAccuracies;
  const range = `${percent(Math.min(...accuracies))}–${percent(Math.max(...accuracies))}`;
  const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const cv = (value: number | null) => (value === null ? 'no CV' : `CV ${percent(value)}`);
  const baseline = pipeline.scaled
    ? `${pipeline.templatesRun} templates timed: ${ms(pipeline.msRun)}, scaled linearly to ${run.templates}: ${ms(pipeline.msAllTemplates)}`
    : `${run.templates} templates: ${ms(pipeline.msAllTemplates)}`;
  const pipelineAccuracies = pipeline.accuracies;
  return [
    '| Measurement | Zero-Shot Playground | Baseline (same run) | Ratio | Target |',
    '|---|---|---|---|---|',
    `| Grid search, ${run.templates} templates × ${run.classes} classes on ${run.images} cached images | the CLIP worker's grid search (\`runGridSearch\`, as for \`labGridSearch\`): ${ms(engine.medianMs)} = embedding the prompts ${ms(median(engine.embedPromptsMs.slice(1)))} + the search ${ms(median(engine.searchMs.slice(1)))} (medians), with a fresh text cache (${texts} prompts through the text model in ${textRuns} runs, ${visionRuns} vision runs); it also does more than the baseline: the full ensemble, greedy selection, and ${run.maxFolds}-fold cross-validation of each | \`pipeline('zero-shot-image-classification')\`, one call per template over the ${run.images} images (that template as \`hypothesis_template\`): ${baseline}; single templates only (the pipeline has no ensemble) | **${ratio(run.speedup)}** faster | ≥ 200× |`,
    `| … same accuracies | single templates ${range} (mean ${percent(mean(accuracies))}); ensemble of ${engine.ensemble.templates}: ${percent(engine.ensemble.accuracy)}; greedy (${engine.greedy.templates} template${engine.greedy.templates === 1 ? '' : 's'}): ${percent(engine.greedy.accuracy)}, ${cv(engine.greedy.cvAccuracy)}; best single: ${percent(engine.bestSingle.accuracy)}, ${cv(engine.bestSingle.cvAccuracy)} | single templates (the ${pipeline.templatesRun} run) ${percent(Math.min(...pipelineAccuracies))}–${percent(Math.max(...pipelineAccuracies))} | largest per-template accuracy difference ${agreement.maxAccuracyDifference.toFixed(4)} (${agreement.templatesDiffering} of ${agreement.compared} templates differ; ${pipeline.exactTies} exact ties in the pipeline's top two) | equal |`,
    '',
    `${run.generatedAt.slice(0, 16).replace('T', ' ')} UTC; engine: ${run.engineModelId}, median of ${calls.length} timed calls after an untimed one (all ${run.images} images embedded before, untimed: ${ms(engine.embedImagesMs)}); ` +
      `pipeline: ${run.pipelineModelId} (the same weights with a combined model.onnx), each template timed once after one untimed call (${ms(pipeline.warmupMs)}); ` +
      `headless Chromium (${/Chrome\/[\d.]+/.exec(run.browser.userAgent)?.[0] ?? 'Chromium'}), WASM, fp32, ORT-web threads ${run.browser.configuredThreads}; ` +
      `${run.images} synthetic ${run.classes}-class shape pictures (seeded, 256 px; labels ${run.labels.join(', ')}); ` +
      `${run.machine.logicalCpus} logical CPUs (${run.machine.cpuModel}), load average ${run.machine.loadavgAtStart[0]?.toFixed(2)} at start, ${run.machine.loadavgAtEnd[0]?.toFixed(2)} at end.`,
  ];
}

/** The results as Markdown tables plus the context needed to read them (threads, isolation, load). */
export function renderMarkdown(results: BenchResults): string {
  const lines: string[] = [];
  if (results.images) lines.push('### Images', '', ...renderImages(results.images), '');
  if (results.audio) lines.push('### Audio', '', ...renderAudio(results.audio), '');
  if (results.scale) lines.push('### Scale', '', ...renderScale(results.scale), '');
  if (results.fewshot) lines.push('### Few-shot', '', ...renderFewShot(results.fewshot), '');
  if (results.grid) lines.push('### Grid search', '', ...renderGrid(results.grid), '');
  if (results.q8) lines.push('### q8 on WASM', '', ...renderQ8(results.q8), '');
  if (results.startup) lines.push('### Start-up', '', ...renderStartup(results.startup), '');
  if (results.preprocess) lines.push('### Image preprocessing', '', ...renderPreprocessRun(results.preprocess), '');
  if (results.soak) lines.push('### Soak', '', ...renderSoak(results.soak), '');
  if (results.live) lines.push('### Live mode', '', ...renderLive(results.live), '');
  if (results.builtinDtype) lines.push('### Built-in models: fp32 vs q8, page open → ready', '', ...renderBuiltinDtype(results.builtinDtype), '');
  return lines.join('\n');
}
