// Shared by the evaluation scripts: `--name value` arguments, and transformers.js reading a local
// models folder (no Hub).
import path from 'node:path';
import { env } from '@huggingface/transformers';

export function parseArgs(argv = process.argv.slice(2)) {
  return Object.fromEntries(argv.reduce((pairs, value, i, all) => {
    if (value.startsWith('--')) pairs.push([value.slice(2), all[i + 1]]);
    return pairs;
  }, []));
}

export function useLocalModels(modelsDir = 'public/models/') {
  env.localModelPath = path.resolve(modelsDir) + '/';
  env.allowRemoteModels = false;
}

/** Rows of a [n, d] embedding tensor, each scaled to unit length (cosine = dot product). */
export function unitRows(t) {
  const [n, d] = t.dims;
  return Array.from({ length: n }, (_, i) => {
    const row = Array.from(t.data.slice(i * d, (i + 1) * d));
    const norm = Math.hypot(...row);
    return row.map((x) => x / norm);
  });
}
