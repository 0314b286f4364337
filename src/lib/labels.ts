/** Labels beyond this are dropped: each one is a text-encoder run and a column in every result. */
export const MAX_LABELS = 256;
/** Characters kept per label; CLIP truncates to 77 tokens anyway, this only bounds memory and DOM size. */
export const MAX_LABEL_CHARS = 10_000;
/** The placeholder a template's label goes into. */
export const TEMPLATE_SLOT = '{}';
export const DEFAULT_TEMPLATE = 'a photo of a {}.';

export interface ParsedLabels {
  labels: string[];
  /** How many entries were dropped as duplicates of an earlier label (case and spacing ignored). */
  mergedDuplicates: number;
  /** How many entries were dropped because MAX_LABELS was reached. */
  droppedOverLimit: number;
}

/** Case and runs of whitespace don't change what the (lower-casing) CLIP tokenizer sees, so they don't make a new label. */
export function labelIdentity(label: string): string {
  return label.normalize('NFC').replace(/\s+/g, ' ').trim().toLowerCase();
}

/** Splits the labels text on new lines and commas, trims, drops blanks, merges duplicates keeping the first spelling. */
export function parseLabels(text: string): ParsedLabels {
  const seen = new Set<string>();
  const labels: string[] = [];
  let mergedDuplicates = 0;
  let droppedOverLimit = 0;
  for (const raw of text.split(/[\n,]/)) {
    const label = raw.replace(/\s+/g, ' ').trim().slice(0, MAX_LABEL_CHARS);
    if (!label) continue;
    const identity = labelIdentity(label);
    if (seen.has(identity)) {
      mergedDuplicates++;
      continue;
    }
    if (labels.length >= MAX_LABELS) {
      droppedOverLimit++;
      continue;
    }
    seen.add(identity);
    labels.push(label);
  }
  return { labels, mergedDuplicates, droppedOverLimit };
}

export function templateHasSlot(template: string): boolean {
  return template.includes(TEMPLATE_SLOT);
}

/** Fills every `{}` of the template with the label; a template without a slot gets the label appended. */
export function fillTemplate(template: string, label: string): string {
  const trimmed = template.trim();
  if (!trimmed) return label;
  if (!templateHasSlot(trimmed)) return `${trimmed} ${label}`;
  return trimmed.split(TEMPLATE_SLOT).join(label);
}

export function buildPrompts(template: string, labels: readonly string[]): string[] {
  return labels.map((label) => fillTemplate(template, label));
}
