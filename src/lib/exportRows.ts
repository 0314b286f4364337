/**
 * What the labelling workspace exports, built from a plain item model: CSV rows, JSON Lines,
 * and the file list of an ImageFolder ZIP (`<label>/<file>`, the layout torchvision's
 * ImageFolder and Hugging Face's `imagefolder` loader read). Label Studio tasks are in labelStudio.ts.
 */
import { toCsv } from './csv';
import { labelIdentity } from './labels';
import type { RankedLabel } from './scoring';

/** none: nobody has looked yet; accepted: the top prediction is right; overridden: a person chose another label; rejected: none of these. */
export type ReviewDecision = 'none' | 'accepted' | 'overridden' | 'rejected';

export interface ExportItem {
  file: string;
  /** Every label's score, best first. */
  predictions: readonly RankedLabel[];
  decision: ReviewDecision;
  /** The label the item ends up with; null when it has none (rejected, or not decided). */
  finalLabel: string | null;
  truth?: string;
}

/** The status column: "none" would read as "none of these", so an undecided item is "unreviewed". */
export type ExportStatus = 'unreviewed' | 'accepted' | 'overridden' | 'rejected';

const STATUS_OF: Record<ReviewDecision, ExportStatus> = {
  none: 'unreviewed',
  accepted: 'accepted',
  overridden: 'overridden',
  rejected: 'rejected',
};

export function exportStatus(item: ExportItem): ExportStatus {
  return STATUS_OF[item.decision];
}

/**
 * The item's label in an export: a person's label when there is one, the model's top prediction
 * for an accepted or unreviewed item without one, nothing for a rejected item. An override
 * without a label stays unlabelled rather than falling back to the prediction it overrode.
 */
export function exportLabel(item: ExportItem): string | null {
  switch (item.decision) {
    case 'rejected':
      return null;
    case 'overridden':
      return item.finalLabel;
    case 'accepted':
    case 'none':
      return item.finalLabel ?? item.predictions[0]?.label ?? null;
  }
}

/**
 * The model's score for the exported label (matched like the labels box does, ignoring case and
 * spacing); null without a label or when the model never scored it (an override to a new label).
 */
export function exportScore(item: ExportItem): number | null {
  const label = exportLabel(item);
  if (label === null) return null;
  const identity = labelIdentity(label);
  return item.predictions.find((prediction) => labelIdentity(prediction.label) === identity)?.score ?? null;
}

/** Full float64 precision as the shortest text that reads back the same; blank for no score. */
function formatScore(score: number | null): string {
  return score === null || !Number.isFinite(score) ? '' : String(score);
}

export const CSV_EXPORT_HEADER = ['file', 'label', 'score', 'status'] as const;

/** Header plus one row per item: file, label (blank if none), the model's score for it, status. */
export function csvExportRows(items: readonly ExportItem[]): string[][] {
  return [[...CSV_EXPORT_HEADER], ...items.map((item) => [item.file, exportLabel(item) ?? '', formatScore(exportScore(item)), exportStatus(item)])];
}

/** The CSV text (RFC 4180, CRLF, formula-guarded: see csv.ts). */
export function csvExport(items: readonly ExportItem[]): string {
  return toCsv(csvExportRows(items));
}

export interface JsonLinesRecord {
  file: string;
  label: string | null;
  score: number | null;
  status: ExportStatus;
  truth?: string;
  /**
   * Every label's score, best first. A list rather than a {label: score} object: object keys
   * that look like numbers ("1", "2") would be reordered, and "__proto__" is a legal label.
   */
  predictions: RankedLabel[];
}

export function jsonLinesRecord(item: ExportItem): JsonLinesRecord {
  return {
    file: item.file,
    label: exportLabel(item),
    score: exportScore(item),
    status: exportStatus(item),
    ...(item.truth !== undefined ? { truth: item.truth } : {}),
    predictions: item.predictions.map(({ label, score }) => ({ label, score })),
  };
}

/**
 * JSON Lines: one compact JSON object per line, each line ended by "\n". JSON.stringify escapes
 * line breaks inside strings, so a record never spans lines; a non-finite score becomes null.
 */
export function jsonLinesExport(items: readonly ExportItem[]): string {
  return items.map((item) => `${JSON.stringify(jsonLinesRecord(item))}\n`).join('');
}

// ---------------------------------------------------------------------------------------------
// ImageFolder.

/** Well under every file system's 255-byte name limit, even for 3-byte UTF-8 characters. */
export const MAX_PATH_SEGMENT_CHARS = 80;
/** Characters Windows forbids in names, plus both slashes; control characters are handled apart. */
const FORBIDDEN_NAME_CHARS = /[<>:"/\\|?*]/g;
/** C0 and C1 control characters (and DEL): invisible, and refused or mangled by file systems and tools. */
const CONTROL_CHARS = /\p{Cc}/gu;
/**
 * Half of a surrogate pair on its own: not a character, and UTF-8 (every ZIP name, every file
 * system) can't hold it, so a writer turns it into U+FFFD and the name no longer matches the one
 * a manifest recorded.
 */
const LONE_SURROGATES = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/** Windows device names, which can't be files or folders with any extension. */
const WINDOWS_RESERVED_NAME = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])$/i;

function truncateCodePoints(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let out = '';
  for (const char of text) {
    if (out.length + char.length > maxChars) break;
    out += char;
  }
  return out;
}

/**
 * A label or file name made safe as one path segment on Windows, macOS and Linux: NFC (what
 * macOS stores), forbidden and control characters, lone surrogates and slashes become "_", no leading dot (hidden
 * on Unix), no trailing dots or spaces (dropped by Windows), no device names, at most
 * MAX_PATH_SEGMENT_CHARS, never empty.
 */
export function safePathSegment(name: string): string {
  let safe = name.normalize('NFC').replace(LONE_SURROGATES, '_').replace(CONTROL_CHARS, '_').replace(FORBIDDEN_NAME_CHARS, '_').trim();
  safe = truncateCodePoints(safe, MAX_PATH_SEGMENT_CHARS).replace(/[. ]+$/, '').replace(/^\./, '_');
  if (safe === '') return '_';
  const stem = safe.split('.')[0] as string;
  return WINDOWS_RESERVED_NAME.test(stem.trimEnd()) ? `_${safe}` : safe;
}

/** Like safePathSegment, but a long name keeps its extension (".jpg") and loses characters from the stem. */
export function safeFileName(name: string): string {
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && name.length - dot <= 10 ? safePathSegment(`x${name.slice(dot)}`).slice(1) : '';
  const stem = extension ? name.slice(0, dot) : name;
  return safePathSegment(truncateCodePoints(stem, MAX_PATH_SEGMENT_CHARS - extension.length) + extension);
}

function baseName(file: string): string {
  const parts = file.split(/[/\\]/);
  return parts[parts.length - 1] || file;
}

/** "name_2.ext", "name_3.ext", …: the first of those not yet taken (compared ignoring case). */
function disambiguate(name: string, taken: Set<string>, splitExtension: boolean): string {
  if (!taken.has(name.toLowerCase())) return name;
  const dot = splitExtension ? name.lastIndexOf('.') : -1;
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const extension = dot > 0 ? name.slice(dot) : '';
  for (let n = 2; ; n++) {
    const candidate = `${stem}_${n}${extension}`;
    if (!taken.has(candidate.toLowerCase())) return candidate;
  }
}

export interface ImageFolderEntry {
  /** The item's file, as given: the caller looks its bytes up by this. */
  file: string;
  label: string;
  /** Where it goes in the ZIP: "<folder>/<name>". */
  path: string;
}

/**
 * The ZIP layout for the items a person confirmed (accepted or overridden, with a label):
 * one folder per label, files under their base name. Names are compared ignoring case, since
 * Windows and macOS file systems do: two labels that make the same folder name ("a/b" and
 * "a:b") get "a_b" and "a_b_2"; two files with the same name in one folder get "x.jpg" and
 * "x_2.jpg". First come, first served, in item order.
 */
export function imageFolderEntries(items: readonly ExportItem[]): ImageFolderEntry[] {
  const folderOfLabel = new Map<string, string>();
  const takenFolders = new Set<string>();
  const takenFiles = new Map<string, Set<string>>();
  const entries: ImageFolderEntry[] = [];
  for (const item of items) {
    if (item.decision !== 'accepted' && item.decision !== 'overridden') continue;
    const label = exportLabel(item);
    if (label === null) continue;
    let folder = folderOfLabel.get(label);
    if (folder === undefined) {
      folder = disambiguate(safePathSegment(label), takenFolders, false);
      takenFolders.add(folder.toLowerCase());
      folderOfLabel.set(label, folder);
      takenFiles.set(folder, new Set());
    }
    const taken = takenFiles.get(folder) as Set<string>;
    const name = disambiguate(safeFileName(baseName(item.file)), taken, true);
    taken.add(name.toLowerCase());
    entries.push({ file: item.file, label, path: `${folder}/${name}` });
  }
  return entries;
}
