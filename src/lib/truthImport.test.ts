import { describe, expect, it } from 'vitest';
import { parseLabelCsv } from './csv';
import { matchTruthRows } from './truthImport';

const items = [
  { id: 'a', path: 'shapes/red/1.png', name: '1.png' },
  { id: 'b', path: 'shapes/blue/1.png', name: '1.png' },
  { id: 'c', path: 'c.png', name: 'c.png' },
  { id: 'd', path: 'folder/d.png', name: 'd.png' },
];

describe('matchTruthRows', () => {
  it('matches by path, then by a name only one item has, and reports the rest', () => {
    const { rows } = parseLabelCsv('file,label\nshapes/red/1.png,red\n.\\shapes\\blue\\1.png,blue\nd.png,dee\nelsewhere/c.png,see\n1.png,x\nmissing.png,y\n');
    const match = matchTruthRows(rows, items);
    expect([...match.truths]).toEqual([
      ['a', 'red'],
      ['b', 'blue'],
      ['d', 'dee'],
      ['c', 'see'],
    ]);
    expect(match.unmatched).toEqual([
      { row: { file: '1.png', label: 'x' }, reason: 'ambiguous' },
      { row: { file: 'missing.png', label: 'y' }, reason: 'no-item' },
    ]);
  });
});
