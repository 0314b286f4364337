/**
 * RFC 4180 CSV: writing (with a guard against spreadsheet formula injection), lenient reading
 * that remembers each record's line, and the `file,label` ground-truth table built on top.
 */
import * as v from 'valibot';
import { MAX_LABEL_CHARS } from './labels';
import { MAX_ITEM_PATH_CHARS, checkWith, text } from './schemas';

/** RFC 4180 ends records with CRLF; Excel and every CSV reader accept it. */
export const CSV_LINE_END = '\r\n';

/**
 * A cell starting with one of these is run as a formula by Excel, LibreOffice or Google Sheets
 * (`=HYPERLINK(...)`, `+cmd|...`, `-2+3`, `@SUM(...)`), and tab / CR are stripped by some of them to
 * reveal one behind. OWASP's "CSV Injection" advice is to prefix such a cell with a single quote,
 * which the spreadsheet then shows as text. The price: the quote is part of the value to any other
 * reader, so a file name like "-v.jpg" comes back as "'-v.jpg" (see `unguardFormula`).
 *
 * Also guarded: a trigger behind leading white space (" =1+1", "\n@SUM"), since LibreOffice's
 * "trim spaces" import option and some importers drop it first. Not guarded: a plain number
 * ("-0.25", "+3", "-1e-7"), which every spreadsheet reads as that number and nothing else.
 */
const FORMULA_TRIGGER = /^(?:[\t\r]|\s*[=+\-@])/;
const PLAIN_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;
export const FORMULA_GUARD = "'";

/**
 * A field that a spreadsheet would run, or one that already starts with guards in front of such a
 * field ("'=x" is guarded again as "''=x"), so `unguardFormula` undoes exactly what was added.
 */
function needsGuard(field: string): boolean {
  const unquoted = field.replace(/^'+/, '');
  return FORMULA_TRIGGER.test(unquoted) && !PLAIN_NUMBER.test(unquoted);
}

/**
 * Fields that must be quoted: separators, quotes, line breaks, edge spaces some readers trim, and a
 * leading U+FEFF (readers drop one at the start of a file as a byte-order mark; quoted, it stays a value).
 */
const NEEDS_QUOTES = /[",\r\n]|^[ \t\uFEFF]|[ \t]$/;

export interface CsvWriteOptions {
  /** Prefix formula-looking fields with a single quote (default true; turn off only for machine readers). */
  guardFormulas?: boolean;
}

export function guardFormula(field: string): string {
  return needsGuard(field) ? FORMULA_GUARD + field : field;
}

/** Undoes `guardFormula`: drops a leading quote only where the guard would have put one. */
export function unguardFormula(field: string): string {
  return field.startsWith(FORMULA_GUARD) && needsGuard(field.slice(1)) ? field.slice(1) : field;
}

export function csvField(value: string, options: CsvWriteOptions = {}): string {
  const field = options.guardFormulas === false ? value : guardFormula(value);
  return NEEDS_QUOTES.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

/**
 * One record per row, each ended by CRLF. A row that is a single empty field is written as `""`,
 * so it isn't mistaken for a blank line; a row with no fields at all can't be told from one and
 * reads back as `['']`.
 */
export function toCsv(rows: readonly (readonly string[])[], options: CsvWriteOptions = {}): string {
  return rows
    .map((row) => (row.length === 1 && row[0] === '' ? '""' : row.map((value) => csvField(value, options)).join(',')) + CSV_LINE_END)
    .join('');
}

export interface CsvRecord {
  fields: string[];
  /** 1-based line on which the record starts (a quoted field may carry it over several lines). */
  line: number;
}

export interface ParsedCsv {
  records: CsvRecord[];
  /** Malformed quoting that was read leniently, e.g. "line 3: a quoted field is never closed". */
  problems: string[];
}

/**
 * Reads CSV leniently, the way spreadsheets do: CRLF, LF and lone CR all end a record; a leading
 * BOM is dropped; the final line break doesn't make an empty record, but a blank line in the
 * middle is a record of one empty field. A quote inside an unquoted field is kept as text, and
 * text after a closing quote is appended; both are reported as problems rather than thrown.
 */
export function parseCsvRecords(text: string): ParsedCsv {
  const records: CsvRecord[] = [];
  const problems: string[] = [];
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let inQuotes = false;
  let quotedFieldLine = 0;
  let fieldWasQuoted = false;
  let atRecordStart = true;
  let lastReportedLine = 0;
  /** One problem per line is enough to point the user at it. */
  const report = (message: string) => {
    if (line === lastReportedLine) return;
    lastReportedLine = line;
    problems.push(`line ${line}: ${message}`);
  };
  const endField = () => {
    fields.push(field);
    field = '';
    fieldWasQuoted = false;
  };
  const endRecord = () => {
    endField();
    records.push({ fields, line: recordLine });
    fields = [];
    atRecordStart = true;
  };

  for (let i = 0; i < source.length; i++) {
    const char = source[i] as string;
    if (inQuotes) {
      if (char === '"') {
        if (source[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else {
        if (char === '\n' || (char === '\r' && source[i + 1] !== '\n')) line++;
        field += char;
      }
      continue;
    }
    if (atRecordStart) {
      atRecordStart = false;
      recordLine = line;
    }
    if (char === ',') endField();
    else if (char === '\r' || char === '\n') {
      if (char === '\r' && source[i + 1] === '\n') i++;
      endRecord();
      line++;
    } else if (char === '"' && field === '' && !fieldWasQuoted) {
      inQuotes = true;
      fieldWasQuoted = true;
      quotedFieldLine = line;
    } else {
      if (fieldWasQuoted) report('text after a closing quote');
      else if (char === '"') report('a quote inside an unquoted field');
      field += char;
    }
  }
  if (inQuotes) problems.push(`line ${quotedFieldLine}: a quoted field is never closed`);
  if (!atRecordStart) endRecord();
  return { records, problems };
}

/** The rows of a CSV text as arrays of fields (see `parseCsvRecords` for the leniency rules). */
export function parseCsv(text: string): string[][] {
  return parseCsvRecords(text).records.map((record) => record.fields);
}

/**
 * A row of an imported truth table, once its columns are counted and neither cell is empty: the
 * file is named like an item path and the label like a label (bounded, no control characters),
 * since both come from a file someone else may have written.
 */
const labelRowSchema = v.object({
  file: text({ maxChars: MAX_ITEM_PATH_CHARS, allowEmpty: true, refuseControlChars: true }),
  label: text({ maxChars: MAX_LABEL_CHARS, allowEmpty: true, refuseControlChars: true }),
});

export type LabelRow = v.InferOutput<typeof labelRowSchema>;

export interface ParsedLabelCsv {
  rows: LabelRow[];
  /** One readable sentence per rejected line, e.g. "line 4: expected 2 columns (file,label), found 3". */
  problems: string[];
}

function isBlankRecord(fields: readonly string[]): boolean {
  return fields.length === 1 && (fields[0] as string).trim() === '';
}

/** Where the file and label are in each row: two columns, or wherever a header names them. */
interface Columns {
  file: number;
  label: number;
  count: number;
}

const TWO_COLUMNS: Columns = { file: 0, label: 1, count: 2 };

/** A header row names `file` and `label` (any case), maybe among others: our own CSV export adds score and status. */
function headerColumns(cells: readonly string[]): Columns | null {
  const names = cells.map((cell) => cell.toLowerCase());
  const file = names.indexOf('file');
  const label = names.indexOf('label');
  return file >= 0 && label >= 0 && new Set(names).size === names.length ? { file, label, count: cells.length } : null;
}

/**
 * A ground-truth table of `file,label` rows. The first non-blank row is a header, and skipped, if
 * it names the columns `file` and `label` (any case, spaces around the names ignored); other
 * columns are then ignored, so the app's own CSV export (file,label,score,status) reads back as
 * truth. Fields are trimmed and a formula guard from our own CSV exports is removed. Blank lines
 * are skipped silently; every other rejected line is a problem. A file listed twice with the same
 * label is kept once; with a different label the first one wins and the later line is reported.
 */
export function parseLabelCsv(text: string): ParsedLabelCsv {
  const parsed = parseCsvRecords(text);
  const problems = [...parsed.problems];
  const rows: LabelRow[] = [];
  const firstSeen = new Map<string, { label: string; line: number }>();
  let columns: Columns | null = null;

  for (const { fields, line } of parsed.records) {
    if (isBlankRecord(fields)) continue;
    const cells = fields.map((field) => unguardFormula(field.trim()).trim());
    if (!columns) {
      columns = headerColumns(cells) ?? TWO_COLUMNS;
      if (columns !== TWO_COLUMNS) continue;
    }
    if (cells.length !== columns.count) {
      problems.push(
        columns.count === 2
          ? `line ${line}: expected 2 columns (file,label), found ${cells.length}`
          : `line ${line}: expected ${columns.count} columns, as the header has, found ${cells.length}`,
      );
      continue;
    }
    const file = cells[columns.file] ?? '';
    const label = cells[columns.label] ?? '';
    if (!file) {
      problems.push(`line ${line}: empty file name`);
      continue;
    }
    if (!label) {
      problems.push(`line ${line}: empty label for ${file}`);
      continue;
    }
    const checked = checkWith(labelRowSchema, { file, label });
    if (!checked.ok) {
      problems.push(...checked.problems.map((problem) => `line ${line}: ${problem}`));
      continue;
    }
    const earlier = firstSeen.get(file);
    if (earlier) {
      if (earlier.label !== label)
        problems.push(`line ${line}: ${file} is already labelled "${earlier.label}" on line ${earlier.line}; keeping that one`);
      continue;
    }
    firstSeen.set(file, { label, line });
    rows.push({ file, label });
  }
  return { rows, problems };
}
