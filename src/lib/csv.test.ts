import { describe, expect, it } from 'vitest';
import { csvField, guardFormula, parseCsv, parseCsvRecords, parseLabelCsv, toCsv, unguardFormula } from './csv';

describe('toCsv', () => {
  it('writes plain fields bare and ends every record with CRLF', () => {
    expect(toCsv([['file', 'label'], ['a.jpg', 'cat']])).toBe('file,label\r\na.jpg,cat\r\n');
    expect(toCsv([])).toBe('');
  });
  it('quotes commas, quotes, line breaks and edge spaces, doubling inner quotes', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('two\r\nlines')).toBe('"two\r\nlines"');
    expect(csvField(' padded')).toBe('" padded"');
    expect(csvField('padded ')).toBe('"padded "');
    expect(csvField('in side')).toBe('in side');
    expect(csvField('')).toBe('');
  });
  it('quotes a leading U+FEFF so a reader does not drop it as a byte-order mark (fast-check found it)', () => {
    expect(csvField('\uFEFF')).toBe('"\uFEFF"');
    expect(parseCsv(toCsv([['\uFEFF', '']]))).toEqual([['\uFEFF', '']]);
  });
  it('guards formula-looking fields with a single quote', () => {
    expect(csvField('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvField("+cmd|' /C calc'!A0")).toBe("'+cmd|' /C calc'!A0");
    expect(csvField('-2+3')).toBe("'-2+3");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    // Tab and CR: guarded, and the CR also forces quotes.
    expect(csvField('\tx')).toBe("'\tx");
    expect(csvField('\rx')).toBe(`"'\rx"`);
    // Only at the start.
    expect(csvField('a=b')).toBe('a=b');
    expect(csvField('=x', { guardFormulas: false })).toBe('=x');
  });
  it('guards a trigger behind leading white space, which some importers trim first', () => {
    expect(csvField(' =1+1')).toBe("' =1+1");
    expect(csvField('\u00a0@SUM(A1)')).toBe("'\u00a0@SUM(A1)");
    expect(csvField('\n=cmd')).toBe(`"'\n=cmd"`);
    expect(csvField('  +x')).toBe("'  +x");
    expect(csvField('  plain')).toBe('"  plain"');
  });
  it('leaves plain numbers alone: a spreadsheet reads them as numbers and nothing else', () => {
    for (const number of ['-0.25', '+3', '-1e-7', '1E+20', '-.5', '0.12345678901234567']) expect(csvField(number)).toBe(number);
    for (const formula of ['-1+1', '-1e-7+A1', '+3)', '-', '=1', '-A1']) expect(csvField(formula)).toBe(`'${formula}`);
  });
  it('writes a lone empty field as "" so it is not a blank line', () => {
    expect(toCsv([['a'], [''], ['b']])).toBe('a\r\n""\r\nb\r\n');
    expect(parseCsv(toCsv([['a'], [''], ['b']]))).toEqual([['a'], [''], ['b']]);
  });
});

describe('guardFormula / unguardFormula', () => {
  it('undoes exactly what the guard added', () => {
    for (const value of ['=1', '+1', '-1', '-1+', '@a', '\tx', '\rx', ' =x', '\n@x', 'plain', "'quoted", "'", "'-1", "' =x", "'=x", "''@x", ''])
      expect(unguardFormula(guardFormula(value))).toBe(value);
    // A quote the guard would not have added stays.
    expect(unguardFormula("'plain")).toBe("'plain");
  });
});

describe('parseCsv', () => {
  it('reads quoted fields, escaped quotes and embedded line breaks', () => {
    expect(parseCsv('a,"b,c","say ""hi""","x\r\ny"\r\n')).toEqual([['a', 'b,c', 'say "hi"', 'x\r\ny']]);
  });
  it('accepts LF, CRLF and lone CR line ends, with or without a final line break', () => {
    const expected = [['a', 'b'], ['c', 'd']];
    expect(parseCsv('a,b\nc,d')).toEqual(expected);
    expect(parseCsv('a,b\r\nc,d\r\n')).toEqual(expected);
    expect(parseCsv('a,b\rc,d\r')).toEqual(expected);
  });
  it('drops a BOM and keeps empty fields', () => {
    expect(parseCsv('\uFEFFa,,c\r\n,\r\n')).toEqual([['a', '', 'c'], ['', '']]);
  });
  it('keeps blank lines in the middle as one empty field but adds nothing for the final line break', () => {
    expect(parseCsv('a\r\n\r\nb\r\n')).toEqual([['a'], [''], ['b']]);
    expect(parseCsv('')).toEqual([]);
    expect(parseCsv('\r\n')).toEqual([['']]);
  });
  it('records the line each record starts on, counting line breaks inside quotes', () => {
    const { records } = parseCsvRecords('a,"1\n2\r\n3"\nb,c\r\n');
    expect(records.map((r) => r.line)).toEqual([1, 4]);
  });
  it('reads malformed quoting leniently and says where', () => {
    const stray = parseCsvRecords('a,b"c\nd,"e"f\n"open,g');
    expect(stray.records.map((r) => r.fields)).toEqual([['a', 'b"c'], ['d', 'ef'], ['open,g']]);
    expect(stray.problems).toEqual([
      'line 1: a quote inside an unquoted field',
      'line 2: text after a closing quote',
      'line 3: a quoted field is never closed',
    ]);
  });
});

describe('round trip', () => {
  const nasty = [
    ['plain', 'with,comma', 'with "quotes"', '"', '""', ','],
    ['line\nfeed', 'carriage\rreturn', 'crlf\r\nhere', '\n', ' lead', 'trail ', '  '],
    ['', 'émoji 🐈‍⬛', '<script>alert(1)</script>', 'tab\tinside', "it's", '\uFEFFbom-inside'],
    [''],
    ['last'],
  ];
  it('parses back exactly what it wrote with the guard off', () => {
    expect(parseCsv(toCsv(nasty, { guardFormulas: false }))).toEqual(nasty);
  });
  it('parses back guarded fields with the quote, and unguardFormula restores them', () => {
    const risky = [['=1+1', '-5+A1', '+x', '@y', '\tz', '\rw', 'safe']];
    const read = parseCsv(toCsv(risky));
    expect(read).toEqual([["'=1+1", "'-5+A1", "'+x", "'@y", "'\tz", "'\rw", 'safe']]);
    expect(read[0]!.map(unguardFormula)).toEqual(risky[0]);
  });
});

describe('parseLabelCsv', () => {
  it('skips a file,label header in any case and trims fields', () => {
    expect(parseLabelCsv('File , LABEL\r\na.jpg, cat\r\nb.jpg ,dog\r\n')).toEqual({
      rows: [
        { file: 'a.jpg', label: 'cat' },
        { file: 'b.jpg', label: 'dog' },
      ],
      problems: [],
    });
  });
  it('treats the first row as data when it is not that header', () => {
    expect(parseLabelCsv('a.jpg,cat\nfile,label\n').rows).toEqual([
      { file: 'a.jpg', label: 'cat' },
      { file: 'file', label: 'label' },
    ]);
    expect(parseLabelCsv('filename,label\na.jpg,cat').rows).toHaveLength(2);
  });
  it('reports wrong column counts, empty names and labels, conflicting duplicates, by line', () => {
    const text = [
      'file,label', // 1
      'a.jpg,cat', // 2
      'b.jpg,dog,extra', // 3
      '', // 4: blank, skipped silently
      ',cat', // 5
      'c.jpg', // 6
      'a.jpg,cat', // 7: same label again, merged silently
      'a.jpg,dog', // 8
      'd.jpg,', // 9
      '"e,1.jpg","big ""cat"""', // 10
    ].join('\n');
    const parsed = parseLabelCsv(text);
    expect(parsed.rows).toEqual([
      { file: 'a.jpg', label: 'cat' },
      { file: 'e,1.jpg', label: 'big "cat"' },
    ]);
    expect(parsed.problems).toEqual([
      'line 3: expected 2 columns (file,label), found 3',
      'line 5: empty file name',
      'line 6: expected 2 columns (file,label), found 1',
      'line 8: a.jpg is already labelled "cat" on line 2; keeping that one',
      'line 9: empty label for d.jpg',
    ]);
  });
  it('reads back a guarded export and a BOM-prefixed Excel file', () => {
    const exported = toCsv([['file', 'label'], ['-flip.jpg', '=cat']]);
    expect(parseLabelCsv(`\uFEFF${exported}`).rows).toEqual([{ file: '-flip.jpg', label: '=cat' }]);
  });
  it('reads the app’s own CSV export (file,label,score,status) by its header, guards and all', () => {
    const exported = toCsv([
      ['file', 'label', 'score', 'status'],
      ['=1+1.png', '@cat', '0.5', 'accepted'],
      [' -x.png', '+dog', '', 'overridden'],
    ]);
    expect(exported).toContain("'=1+1.png,'@cat");
    expect(parseLabelCsv(exported)).toEqual({
      rows: [
        { file: '=1+1.png', label: '@cat' },
        { file: '-x.png', label: '+dog' },
      ],
      problems: [],
    });
    expect(parseLabelCsv('label,status,file\ncat,accepted,a.png\ndog,b.png\n')).toEqual({
      rows: [{ file: 'a.png', label: 'cat' }],
      problems: ['line 3: expected 3 columns, as the header has, found 2'],
    });
  });
  it('returns nothing for empty input', () => {
    expect(parseLabelCsv('')).toEqual({ rows: [], problems: [] });
  });
});

describe('parseLabelCsv: rows from someone else', () => {
  it('refuses over-long names and labels, and control characters, by line and field', () => {
    const text = [
      'a.jpg,cat', // 1
      `${'p'.repeat(1025)},cat`, // 2
      `b.jpg,${'l'.repeat(10_001)}`, // 3
      'c\u0007.jpg,cat', // 4
      '"d.jpg","two\nlines"', // 5 (the quoted field carries on to line 6)
      'e.jpg,tab\there', // 7
      `${'p'.repeat(1024)},ok`, // 8: at the limit
    ].join('\n');
    const parsed = parseLabelCsv(text);
    expect(parsed.rows.map((row) => row.file)).toEqual(['a.jpg', 'p'.repeat(1024)]);
    expect(parsed.problems).toEqual([
      'line 2: file: longer than 1024 characters',
      'line 3: label: longer than 10000 characters',
      'line 4: file: contains control characters',
      'line 5: label: contains control characters',
      'line 7: label: contains control characters',
    ]);
  });
});
