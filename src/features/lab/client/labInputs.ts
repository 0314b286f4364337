/**
 * What the lab reads from the store: the task's current model, labels and zero-shot
 * configuration, and the items it can send to the worker (ids, content hashes and class indices,
 * never embeddings). Pure functions of the state, shared by the lab controller and any task
 * feature that needs "the current zero-shot configuration of task T".
 */
import { buildTranscriptClassPrompts } from '../../../lib/audioScoring';
import { buildClassPrompts, labelIdentity, parseLabels, parseTemplates } from '../../../lib/labels';
import type { ReviewDecision } from '../../../lib/review';
import type { Task } from '../../../lib/tasks';
import type { AppState } from '../../../store';
import { labelsTextOf, templateOf } from '../../../store/settingsSlice';
import { audioCatalogEntryFor } from '../../models';
import type { ImageEmbeddingSource, LabItem, ZeroShotConfig } from '../shared/labProtocol';

/** The task's model once it is ready (the lab works on what the worker holds), else null. */
export function readyModelOf(state: AppState, task: Task): { modelId: string; family: 'clip' | 'siglip' | 'whisper' | 'clap' } | null {
  const status = state.models[task].status;
  if (status.state !== 'ready') return null;
  const family = status.info.family ?? (task === 'audio' ? audioCatalogEntryFor(status.modelId).family : 'clip');
  return { modelId: status.info.modelId, family };
}

/** Whisper reads labels as text it would write (its templates keep their spacing); CLAP and CLIP read captions. */
export function isWhisper(state: AppState, task: Task): boolean {
  return task === 'audio' && readyModelOf(state, task)?.family === 'whisper';
}

/** The task's templates as the template box holds them (one per line, an ensemble). */
export function currentTemplatesOf(state: AppState, task: Task): string[] {
  return parseTemplates(templateOf(state, task), { keepSpacing: isWhisper(state, task) });
}

/**
 * The zero-shot classifier the task's items currently show: labels, every label's prompts under
 * the current templates, and (Whisper) the score rule and calibration. A head is trained beside it.
 */
export function currentZeroShotConfig(state: AppState, task: Task): ZeroShotConfig {
  const { labels, alternatives } = parseLabels(labelsTextOf(state, task));
  const templates = currentTemplatesOf(state, task);
  if (isWhisper(state, task))
    return { labels, classPrompts: buildTranscriptClassPrompts(templates, alternatives), aggregation: state.aggregation, calibration: state.calibration };
  return { labels, classPrompts: buildClassPrompts(templates, alternatives), aggregation: null, calibration: null };
}

/**
 * Which image embeddings the task's lab requests read: those of the resize path the image items
 * are ranked on now (the store's setting, sent with every request); audio reads none.
 */
export function imageEmbeddingOf(state: AppState, task: Task): ImageEmbeddingSource | null {
  return task === 'image' ? { resizeMode: state.imageResizeMode } : null;
}

/** An item the lab can use: scored by the current worker (so it holds its embedding), and how it was labelled. */
export interface LabCandidate {
  itemId: string;
  contentHash: string;
  truth: string | null;
  decision: ReviewDecision;
  finalLabel: string | null;
}

/** Image items embedded by the worker, audio clips it has scored; in the order shown. */
export function labCandidatesOf(state: AppState, task: Task): LabCandidate[] {
  const candidates: LabCandidate[] = [];
  const add = (item: { id: string; contentHash: string | null; truth: string | null; decision: LabCandidate['decision']; finalLabel: string | null }) => {
    if (item.contentHash === null) return;
    candidates.push({ itemId: item.id, contentHash: item.contentHash, truth: item.truth, decision: item.decision, finalLabel: item.finalLabel });
  };
  if (task === 'image') {
    for (const id of state.itemOrder) {
      const item = state.items[id];
      if (item?.state === 'done') add(item);
    }
  } else {
    for (const id of state.audioOrder) {
      const item = state.audioItems[id];
      if (item?.state === 'done') add(item);
    }
  }
  return candidates;
}

/** Class index of a label text among the labels (case and spacing ignored, as labels are merged); null when it is not one. */
export function classIndexer(labels: readonly string[]): (text: string | null) => number | null {
  const index = new Map(labels.map((label, i) => [labelIdentity(label), i]));
  return (text) => (text === null ? null : (index.get(labelIdentity(text)) ?? null));
}

export interface LabeledItems {
  items: LabItem[];
  /** Items whose label is not one of the current labels (left out). */
  outsideLabels: number;
}

/** The candidates whose ground truth is one of the labels, truth as its class index. */
export function itemsWithTruth(candidates: readonly LabCandidate[], labels: readonly string[]): LabeledItems {
  const classOf = classIndexer(labels);
  const items: LabItem[] = [];
  let outsideLabels = 0;
  for (const candidate of candidates) {
    if (candidate.truth === null) continue;
    const truth = classOf(candidate.truth);
    if (truth === null) outsideLabels++;
    else items.push({ itemId: candidate.itemId, contentHash: candidate.contentHash, truth });
  }
  return { items, outsideLabels };
}

/** The candidates a person accepted or relabelled, the label they settled on as the class. */
export function itemsFromDecisions(candidates: readonly LabCandidate[], labels: readonly string[]): LabeledItems {
  const classOf = classIndexer(labels);
  const items: LabItem[] = [];
  let outsideLabels = 0;
  for (const candidate of candidates) {
    if (candidate.decision !== 'accepted' && candidate.decision !== 'overridden') continue;
    const truth = classOf(candidate.finalLabel);
    if (truth === null) outsideLabels++;
    else items.push({ itemId: candidate.itemId, contentHash: candidate.contentHash, truth });
  }
  return { items, outsideLabels };
}

/** Items per class index (length = classes). */
export function countsPerClass(items: readonly LabItem[], classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const item of items) counts[item.truth] = (counts[item.truth] ?? 0) + 1;
  return counts;
}
