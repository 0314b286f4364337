/**
 * Matching the rows of a ground-truth CSV (`file,label`) to workspace items: by the item's full
 * path first (`shapes/red/1.png`), then by its name when exactly one item has it.
 */
import type { LabelRow } from './csv';

export interface TruthTarget {
  id: string;
  path: string;
  name: string;
}

export interface TruthMatch {
  /** Ground truth per item id. */
  truths: Map<string, string>;
  /** Rows that named no item, or a name several items share. */
  unmatched: { row: LabelRow; reason: 'no-item' | 'ambiguous' }[];
}

/** Windows paths and a leading "./" still name the same file. */
function normalisePath(path: string): string {
  return path.replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/^\/+/, '');
}

export function matchTruthRows(rows: readonly LabelRow[], items: readonly TruthTarget[]): TruthMatch {
  const byPath = new Map<string, string>();
  const byName = new Map<string, string[]>();
  for (const item of items) {
    byPath.set(normalisePath(item.path), item.id);
    byName.set(item.name, [...(byName.get(item.name) ?? []), item.id]);
  }
  const truths = new Map<string, string>();
  const unmatched: TruthMatch['unmatched'] = [];
  for (const row of rows) {
    const file = normalisePath(row.file);
    const exact = byPath.get(file);
    if (exact !== undefined) {
      truths.set(exact, row.label);
      continue;
    }
    const named = byName.get(file.split('/').pop() ?? file) ?? [];
    if (named.length === 1) truths.set(named[0] as string, row.label);
    else unmatched.push({ row, reason: named.length === 0 ? 'no-item' : 'ambiguous' });
  }
  return { truths, unmatched };
}
