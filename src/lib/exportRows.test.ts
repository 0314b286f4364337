import { describe, expect, it } from 'vitest';
import { parseCsv } from './csv';
import {
  MAX_PATH_SEGMENT_CHARS,
  csvExport,
  csvExportRows,
  exportLabel,
  exportScore,
  exportStatus,
  imageFolderEntries,
  jsonLinesExport,
  safeFileName,
  safePathSegment,
  type ExportItem,
} from './exportRows';
import { normaliseZipPath } from './zipFormat';

const predictions = [
  { label: 'cat', score: 0.7 },
  { label: 'dog', score: 0.2 },
  { label: 'bird', score: 0.1 },
];

const items: ExportItem[] = [
  { file: 'a.jpg', predictions, decision: 'accepted', finalLabel: 'cat', truth: 'cat' },
  { file: 'b.jpg', predictions, decision: 'overridden', finalLabel: 'dog', truth: 'dog' },
  { file: 'c.jpg', predictions, decision: 'rejected', finalLabel: null },
  { file: 'd.jpg', predictions, decision: 'none', finalLabel: null },
  { file: 'e.jpg', predictions, decision: 'overridden', finalLabel: 'fox' },
  { file: 'f.jpg', predictions: [], decision: 'none', finalLabel: null },
];

describe('exportLabel, exportScore, exportStatus', () => {
  it('takes a person’s label, else the top prediction, and nothing for rejected items', () => {
    expect(items.map(exportLabel)).toEqual(['cat', 'dog', null, 'cat', 'fox', null]);
    expect(exportLabel({ file: 'x', predictions, decision: 'accepted', finalLabel: null })).toBe('cat');
    expect(exportLabel({ file: 'x', predictions, decision: 'overridden', finalLabel: null })).toBeNull();
  });
  it('scores the exported label with the model’s own score for it', () => {
    expect(items.map(exportScore)).toEqual([0.7, 0.2, null, 0.7, null, null]);
    expect(exportScore({ file: 'x', predictions, decision: 'overridden', finalLabel: 'Dog' })).toBe(0.2);
  });
  it('calls an undecided item unreviewed', () => {
    expect(items.map(exportStatus)).toEqual(['accepted', 'overridden', 'rejected', 'unreviewed', 'overridden', 'unreviewed']);
  });
});

describe('CSV export', () => {
  it('writes file,label,score,status rows', () => {
    expect(csvExportRows(items)).toEqual([
      ['file', 'label', 'score', 'status'],
      ['a.jpg', 'cat', '0.7', 'accepted'],
      ['b.jpg', 'dog', '0.2', 'overridden'],
      ['c.jpg', '', '', 'rejected'],
      ['d.jpg', 'cat', '0.7', 'unreviewed'],
      ['e.jpg', 'fox', '', 'overridden'],
      ['f.jpg', '', '', 'unreviewed'],
    ]);
  });
  it('keeps full precision, quotes and guards hostile names', () => {
    const tricky: ExportItem = { file: '=cmd|calc.jpg', predictions: [{ label: 'a, "b"', score: 1 / 3 }], decision: 'accepted', finalLabel: null };
    const text = csvExport([tricky]);
    expect(text).toBe(`file,label,score,status\r\n'=cmd|calc.jpg,"a, ""b""",0.3333333333333333,accepted\r\n`);
    expect(Number(parseCsv(text)[1]![2])).toBe(1 / 3);
  });
});

describe('JSON Lines export', () => {
  it('writes one object per line with every label’s score, best first', () => {
    const lines = jsonLinesExport(items.slice(0, 3)).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe('');
    expect(JSON.parse(lines[0]!)).toEqual({ file: 'a.jpg', label: 'cat', score: 0.7, status: 'accepted', truth: 'cat', predictions });
    expect(JSON.parse(lines[2]!)).toEqual({ file: 'c.jpg', label: null, score: null, status: 'rejected', predictions });
    expect(lines[0]).toBe(
      '{"file":"a.jpg","label":"cat","score":0.7,"status":"accepted","truth":"cat","predictions":[{"label":"cat","score":0.7},{"label":"dog","score":0.2},{"label":"bird","score":0.1}]}',
    );
  });
  it('keeps every record on one line and survives odd labels', () => {
    const odd: ExportItem = {
      file: 'line\nbreak.jpg',
      predictions: [
        { label: '__proto__', score: 0.5 },
        { label: '2', score: 0.3 },
        { label: '1', score: Number.NaN },
      ],
      decision: 'none',
      finalLabel: null,
    };
    const text = jsonLinesExport([odd]);
    expect(text.split('\n')).toHaveLength(2);
    const record = JSON.parse(text) as { file: string; predictions: Array<{ label: string; score: number | null }> };
    expect(record.file).toBe('line\nbreak.jpg');
    expect(record.predictions.map((p: { label: string }) => p.label)).toEqual(['__proto__', '2', '1']);
    expect(record.predictions[2]?.score).toBeNull();
  });
});

describe('safePathSegment / safeFileName', () => {
  it('replaces characters that are unsafe on any file system', () => {
    expect(safePathSegment('a/b\\c:d*e?f"g<h>i|j')).toBe('a_b_c_d_e_f_g_h_i_j');
    expect(safePathSegment('tab\there\u0000')).toBe('tab_here_');
    expect(safePathSegment('  golden retriever  ')).toBe('golden retriever');
  });
  it('never yields an empty, dot, hidden or Windows device name', () => {
    expect(safePathSegment('')).toBe('_');
    expect(safePathSegment('..')).toBe('_');
    expect(safePathSegment('.')).toBe('_');
    expect(safePathSegment('.hidden')).toBe('_hidden');
    expect(safePathSegment('end. ')).toBe('end');
    expect(safePathSegment('CON')).toBe('_CON');
    expect(safePathSegment('lpt1.txt')).toBe('_lpt1.txt');
    expect(safePathSegment('console')).toBe('console');
  });
  it('composes accents (NFC) and bounds the length without splitting an emoji', () => {
    expect(safePathSegment('cafe\u0301')).toBe('café');
    const long = safePathSegment('🐈'.repeat(100));
    expect(long.length).toBeLessThanOrEqual(MAX_PATH_SEGMENT_CHARS);
    expect(long).toBe('🐈'.repeat(MAX_PATH_SEGMENT_CHARS / 2));
  });
  it('replaces lone surrogates, which UTF-8 names cannot hold, and keeps pairs', () => {
    expect(safeFileName('\ud83d.png')).toBe('_.png');
    expect(safePathSegment('a\udc00b\ud800')).toBe('a_b_');
    expect(safePathSegment('🐈\ud83d')).toBe('🐈_');
  });
  it('keeps the extension when a file name is shortened', () => {
    const name = safeFileName(`${'x'.repeat(200)}.jpeg`);
    expect(name).toHaveLength(MAX_PATH_SEGMENT_CHARS);
    expect(name.endsWith('.jpeg')).toBe(true);
    expect(safeFileName('con.jpg')).toBe('_con.jpg');
    expect(safeFileName('.jpg')).toBe('_jpg');
  });
});

describe('imageFolderEntries', () => {
  it('lists accepted and overridden items under their label', () => {
    expect(imageFolderEntries(items)).toEqual([
      { file: 'a.jpg', label: 'cat', path: 'cat/a.jpg' },
      { file: 'b.jpg', label: 'dog', path: 'dog/b.jpg' },
      { file: 'e.jpg', label: 'fox', path: 'fox/e.jpg' },
    ]);
  });
  it('gives labels that make the same folder different folders, and the same label the same one', () => {
    const make = (file: string, label: string): ExportItem => ({ file, predictions: [], decision: 'overridden', finalLabel: label });
    const entries = imageFolderEntries([make('1.jpg', 'a/b'), make('2.jpg', 'a:b'), make('3.jpg', 'A?b'), make('4.jpg', 'a/b'), make('5.jpg', '..')]);
    expect(entries.map((e) => e.path)).toEqual(['a_b/1.jpg', 'a_b_2/2.jpg', 'A_b_3/3.jpg', 'a_b/4.jpg', '_/5.jpg']);
  });
  it('renames files that collide in a folder, ignoring case, keeping the extension', () => {
    const make = (file: string): ExportItem => ({ file, predictions, decision: 'accepted', finalLabel: 'cat' });
    const entries = imageFolderEntries([make('x.jpg'), make('dir/x.jpg'), make('X.JPG'), make('x_2.jpg'), make('C:\\photos\\x.jpg')]);
    expect(entries.map((e) => e.path)).toEqual(['cat/x.jpg', 'cat/x_2.jpg', 'cat/X_3.JPG', 'cat/x_2_2.jpg', 'cat/x_4.jpg']);
    expect(entries.map((e) => e.file)).toEqual(['x.jpg', 'dir/x.jpg', 'X.JPG', 'x_2.jpg', 'C:\\photos\\x.jpg']);
  });
  it('only makes paths the ZIP writer accepts unchanged', () => {
    const hostile = ['../../etc/passwd', '/abs.jpg', 'C:\\x.jpg', '..', 'a\u0000b.jpg', ' .jpg '];
    const entries = imageFolderEntries(hostile.map((file) => ({ file, predictions: [], decision: 'overridden', finalLabel: file })));
    expect(entries).toHaveLength(hostile.length);
    for (const entry of entries) expect(normaliseZipPath(entry.path)).toBe(entry.path);
    expect(new Set(entries.map((e) => e.path.toLowerCase())).size).toBe(entries.length);
  });
});
