/** Labels beyond this are dropped: each one is a text-encoder run and a column in every result. */
export const MAX_LABELS = 256;
/** Characters kept per label; CLIP truncates to 77 tokens anyway, this only bounds memory and DOM size. */
export const MAX_LABEL_CHARS = 10_000;
/** The placeholder a template's label goes into. */
export const TEMPLATE_SLOT = '{}';
export const DEFAULT_TEMPLATE = 'a photo of a {}.';

export interface ParsedLabels {
  labels: string[];
  /**
   * Per label, the texts that go into a template's slot: `cat: a tabby cat | a kitten` is shown
   * and exported as `cat` and prompted as both descriptions (ensembled); a plain label is its own
   * only alternative.
   */
  alternatives: string[][];
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
  const alternatives: string[][] = [];
  let mergedDuplicates = 0;
  let droppedOverLimit = 0;
  for (const raw of text.split(/[\n,]/)) {
    const entry = splitLabelEntry(raw);
    if (!entry) continue;
    const { label } = entry;
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
    alternatives.push(entry.alternatives);
  }
  return { labels, alternatives, mergedDuplicates, droppedOverLimit };
}

/** Separates a label's prompts: `name: one | two`; without a name, the first prompt names the label. */
const PROMPT_SEPARATOR = '|';
/** A colon followed by a space (or ending the entry) names a label; `16:9` stays one label. */
const NAME_SEPARATOR = /:(?=\s|$)/;

function cleanText(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, MAX_LABEL_CHARS);
}

/** One entry of the labels box as its label and its prompts; null for a blank entry. */
function splitLabelEntry(raw: string): { label: string; alternatives: string[] } | null {
  const colon = raw.search(NAME_SEPARATOR);
  const named = colon > 0;
  const name = cleanText(named ? raw.slice(0, colon) : (raw.split(PROMPT_SEPARATOR)[0] ?? ''));
  const promptsText = named ? raw.slice(colon + 1) : raw;
  const prompts = [...new Set(promptsText.split(PROMPT_SEPARATOR).map(cleanText).filter((prompt) => prompt.length > 0))];
  if (!name) return null;
  // `name:` alone, or a lone label, is prompted as itself.
  return { label: name, alternatives: prompts.length > 0 ? prompts : [name] };
}

/**
 * The template box holds one template per line; several form an ensemble. Blank lines are
 * dropped, repeats kept once. Image templates are trimmed; Whisper templates keep their spacing
 * (`keepSpacing`), since Whisper's text after the prompt starts with a space. A box with no
 * template at all gives one empty template (the bare label is the prompt).
 */
export function parseTemplates(text: string, options: { keepSpacing?: boolean } = {}): string[] {
  const lines = text
    .split('\n')
    .map((line) => (options.keepSpacing ? line.replace(/\r$/, '') : line.trim()))
    .filter((line) => line.trim().length > 0);
  const unique = [...new Set(lines)];
  return unique.length > 0 ? unique : [options.keepSpacing ? text.replace(/\n/g, '') : ''];
}

/** Per label, every template filled with every one of its alternatives (CLIP ensembles average their embeddings). */
export function buildClassPrompts(templates: readonly string[], alternatives: readonly (readonly string[])[]): string[][] {
  return alternatives.map((texts) => [...new Set(templates.flatMap((template) => texts.map((text) => fillTemplate(template, text))))]);
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
