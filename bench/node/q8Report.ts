/** Markdown for the q8 part of bench/results.md (bench/node/q8.ts). */
import type { Q8Run } from './main';
import type { OpProfile, Q8ModelResult, Q8Throughput } from './q8';

const rate = (value: number): string => `${value.toFixed(value >= 100 ? 0 : 1)} img/s`;
const times = (value: number): string => `${value.toFixed(2)}×`;
const percent = (value: number): string => `${(100 * value).toFixed(2)}%`;
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
const threadsLabel = (threads: number): string => `${threads} thread${threads === 1 ? '' : 's'}`;

function find(list: readonly Q8Throughput[], dtype: 'fp32' | 'q8', threads: number): Q8Throughput | undefined {
  return list.find((entry) => entry.dtype === dtype && entry.threads === threads);
}

function topOps(profile: OpProfile, count: number): string {
  return profile.msPerRunByOp
    .slice(0, count)
    .map(({ op, share }) => `${op} ${(100 * share).toFixed(0)}%`)
    .join(', ');
}

function modelRows(model: Q8ModelResult, threadCounts: readonly number[]): string[] {
  const t = model.appThreads;
  const b32 = find(model.browser, 'fp32', t);
  const b8 = find(model.browser, 'q8', t);
  const n32 = find(model.native, 'fp32', t);
  const n8 = find(model.native, 'q8', t);
  if (!b32 || !b8 || !n32 || !n8) return [];
  const sweep = threadCounts
    .map((threads) => `${threadsLabel(threads)}: fp32 ${rate(find(model.browser, 'fp32', threads)?.median ?? Number.NaN)}, q8 ${rate(find(model.browser, 'q8', threads)?.median ?? Number.NaN)}`)
    .join('; ');
  const n1 = find(model.native, 'fp32', 1);
  const b1 = find(model.browser, 'fp32', 1);
  const n1q = find(model.native, 'q8', 1);
  const b1q = find(model.browser, 'q8', 1);
  const title = `${model.title}, batch ${model.inputDims[0]}, ${model.inputDims.slice(1).join('×')}`;
  return [
    `| ${title} | **q8 in Chromium WASM vs fp32 onnxruntime-node** (${threadsLabel(t)}) | WASM q8: ${rate(b8.median)} (${mb(model.fileBytes.q8)}) | native fp32: ${rate(n32.median)} (${mb(model.fileBytes.fp32)}) | **${times(model.q8BrowserVsFp32Native)}** |`,
    `| ${title} | fp32 vs fp32 (the "Vision tower throughput" figure, same run) | WASM fp32: ${rate(b32.median)} | native fp32: ${rate(n32.median)} | ${times(b32.median / n32.median)} |`,
    `| ${title} | what q8 buys on each side | WASM q8 / fp32: ${times(b8.median / b32.median)} | native q8 / fp32: ${times(n8.median / n32.median)} (native q8: ${rate(n8.median)}) | — |`,
    ...(n1 && b1 && n1q && b1q
      ? [`| ${title} | one thread each side (kernels alone, no threading) | WASM fp32 ${rate(b1.median)}, q8 ${rate(b1q.median)} | native fp32 ${rate(n1.median)}, q8 ${rate(n1q.median)} | fp32 ${times(b1.median / n1.median)}, q8 ${times(b1q.median / n1q.median)} |`]
      : []),
    `| ${title} | ORT-web threads (the app sets ${t}) | ${sweep} | — | — |`,
    `| ${title} | same input, browser vs native | fp32: max abs diff ${model.browserVsNativeOutputs.fp32.maxAbs.toExponential(1)}; q8: max abs diff ${model.browserVsNativeOutputs.q8.maxAbs.toExponential(1)}, min cosine ${model.browserVsNativeOutputs.q8.minCosine.toFixed(6)} | q8 vs fp32 embeddings: min cosine ${model.q8VsFp32Outputs.minCosine.toFixed(5)} | — |`,
    `| ${title} | onnxruntime-node kernel time by operator (${threadsLabel(t)}) | fp32 ${model.nativeProfiles.fp32.totalMsPerRun.toFixed(0)} ms/run: ${topOps(model.nativeProfiles.fp32, 4)} | q8 ${model.nativeProfiles.q8.totalMsPerRun.toFixed(0)} ms/run: ${topOps(model.nativeProfiles.q8, 4)} | — |`,
  ];
}

export function renderQ8(run: Q8Run): string[] {
  const lines = ['| Model | Measurement | Chromium WASM | onnxruntime-node | Ratio (browser / native) |', '|---|---|---|---|---|'];
  for (const model of run.models) lines.push(...modelRows(model, run.threadCounts));
  const { shape, gflop, rows } = run.matmul;
  const probe = (side: 'browser' | 'native', dtype: 'fp32' | 'q8', threads: number) => rows.find((row) => row.side === side && row.dtype === dtype && row.threads === threads);
  for (const threads of [...new Set(rows.map((row) => row.threads))]) {
    const cells = (['fp32', 'q8'] as const).map((dtype) => {
      const [b, n] = [probe('browser', dtype, threads), probe('native', dtype, threads)];
      return b && n ? { dtype, b, n } : null;
    });
    const parts = cells.filter((cell) => cell !== null);
    if (parts.length === 0) continue;
    lines.push(
      `| MatMul [${shape.rows}, ${shape.depth}] × [${shape.depth}, ${shape.columns}] (${gflop.toFixed(2)} GFLOP, ViT-B/32's MLP at batch 8) | kernel probe, ${threadsLabel(threads)} | ${parts.map(({ dtype, b }) => `${dtype} ${b.gflops.toFixed(1)} GFLOP/s`).join(', ')} | ${parts.map(({ dtype, n }) => `${dtype} ${n.gflops.toFixed(1)} GFLOP/s`).join(', ')} | ${parts.map(({ dtype, b, n }) => `${dtype} ${times(b.gflops / n.gflops)}`).join(', ')} |`,
    );
  }
  const h = run.heldout;
  lines.push(
    '',
    `| Held-out shapes (built-in model) | q8 vs fp32 |`,
    '|---|---|',
    `| ${h.images} held-out pictures × ${h.labels} labels ("${h.template}"), softmax of 100 × cosine | top-1 agreement **${percent(h.top1Agreement)}** (${h.disagreements} differ); max abs prob diff **${h.maxAbsProbDiff.toExponential(2)}**, mean ${h.meanAbsProbDiff.toExponential(2)}; accuracy fp32 ${percent(h.accuracy.fp32)}, q8 ${percent(h.accuracy.q8)} |`,
    '',
  );
  const wasm = Object.entries(run.relaxedSimd.shippedWasmValidatesHere)
    .map(([file, valid]) => `${file} ${valid ? 'validates (no relaxed-SIMD instruction in it)' : 'does not validate here (for another reason: the JSPI build needs stack switching)'}`)
    .join(', ');
  lines.push(
    `Relaxed SIMD: this Chromium ${run.relaxedSimd.browserValidatesRelaxedSimd ? 'supports' : 'does not support'} it, but onnxruntime-web ships no relaxed-SIMD build ` +
      `(\`env.wasm.simd = 'relaxed'\` only runs a feature check). In this Node (ORT-web's relaxed-SIMD probe ${run.relaxedSimd.nodeValidatesRelaxedSimd ? 'accepted' : 'rejected'}) ${wasm}. ` +
      `Native CPU SIMD flags: ${run.cpuFlags.join(' ')} (WASM SIMD is 128-bit).`,
    '',
    `${run.generatedAt.slice(0, 16).replace('T', ' ')} UTC; medians of ${run.quick ? 'a quick run' : 'several repetitions'} after 2 untimed runs; random normal pixels (seeded), the same input on both sides; ` +
      `q8 = tools/quantize_dynamic_q8.py (the Hub's q8: dynamic, per-tensor, MatMul/Conv/Gather weights); each browser measurement in a fresh worker; ` +
      `headless Chromium (${/Chrome\/[\d.]+/.exec(run.browser.userAgent)?.[0] ?? 'Chromium'}), onnxruntime-node ${run.ortNodeVersion}; ` +
      `${run.machine.logicalCpus} logical CPUs (${run.machine.cpuModel}), load average ${run.machine.loadavgAtStart[0]?.toFixed(2)} at start, ${run.machine.loadavgAtEnd[0]?.toFixed(2)} at end.`,
  );
  return lines;
}
