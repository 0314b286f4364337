import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Where a model id served under /models/ lives on disk (bench/<name> → bench/.models/<name>, see server.ts). */
export function modelDir(modelId: string): string {
  return modelId.startsWith('bench/') ? join(repoRoot, 'bench/.models', modelId.slice('bench/'.length)) : join(repoRoot, 'public/models', modelId);
}
