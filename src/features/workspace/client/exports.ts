/** The export files, built from the store for one task. */
import { csvExport, exportLabel, imageFolderEntries, jsonLinesExport } from '../../../lib/exportRows';
import { labelStudioConfig, labelStudioJson } from '../../../lib/labelStudio';
import { parseLabels } from '../../../lib/labels';
import type { ArchiveEntry } from '../../../lib/archive';
import { writeProjectFile, type ProjectInput, type ProjectItemInput } from '../../../lib/projectFile';
import type { AppState } from '../../../store';
import { labelsTextOf, modelIdOf, templateOf } from '../../../store/settingsSlice';
import type { Task } from '../../../lib/tasks';
import { zipInWorker } from './archiveBridge';
import { toExportItem, workspaceItemsOf } from './workspaceItems';

export const CSV_MIME = 'text/csv;charset=utf-8';
export const JSON_MIME = 'application/json';
export const JSONL_MIME = 'application/jsonl';
export const ZIP_MIME = 'application/zip';
export const XML_MIME = 'application/xml';

export function csvBlob(state: AppState, task: Task): Blob {
  return new Blob([csvExport(workspaceItemsOf(state, task).map(toExportItem))], { type: CSV_MIME });
}

export function jsonLinesBlob(state: AppState, task: Task): Blob {
  return new Blob([jsonLinesExport(workspaceItemsOf(state, task).map(toExportItem))], { type: JSONL_MIME });
}

export function labelStudioBlob(state: AppState, task: Task): Blob {
  const items = workspaceItemsOf(state, task).map(toExportItem);
  return new Blob([labelStudioJson(items, { media: task, modelVersion: modelIdOf(state, task) })], { type: JSON_MIME });
}

export function labelStudioConfigBlob(state: AppState, task: Task): Blob {
  return new Blob([labelStudioConfig(parseLabels(labelsTextOf(state, task)).labels, task)], { type: XML_MIME });
}

/**
 * The confirmed items (accepted or overridden, with a label) as `<label>/<file>` archive entries;
 * audio clips alike. The media stay the Blobs IndexedDB gave: the archive worker streams them.
 */
export function imageFolderArchiveEntries(state: AppState, task: Task): ArchiveEntry[] {
  const confirmed = workspaceItemsOf(state, task).filter(
    (item) => (item.decision === 'accepted' || item.decision === 'overridden') && exportLabel(toExportItem(item)) !== null,
  );
  // imageFolderEntries keeps exactly these items, in this order, so entries[i] is confirmed[i].
  const entries = imageFolderEntries(confirmed.map(toExportItem));
  if (entries.length !== confirmed.length) throw new Error('ImageFolder export: the entries do not match the confirmed items');
  return entries.map((entry, index) => ({ path: entry.path, data: (confirmed[index] as (typeof confirmed)[number]).blob }));
}

/** The ImageFolder ZIP of these entries, written in the archive worker. */
export function imageFolderZip(entries: readonly ArchiveEntry[], signal?: AbortSignal): ReadableStream<Uint8Array> {
  return zipInWorker(entries, signal);
}

/** Everything the project file holds for a task; the media Blobs only when asked for. */
export function projectInputOf(state: AppState, task: Task, includeMedia: boolean): ProjectInput {
  const labelsText = labelsTextOf(state, task);
  const items = workspaceItemsOf(state, task).map((item): ProjectItemInput => {
    const out: ProjectItemInput = {
      path: item.path,
      name: item.name,
      truth: item.truth,
      decision: item.decision,
      finalLabel: item.finalLabel,
      predictions: item.predictions,
    };
    if ('rawScores' in item) {
      if (item.rawScores) out.rawScores = Array.from(item.rawScores);
      if (item.transcript !== null) out.transcript = item.transcript;
    }
    if (includeMedia) out.media = { blob: item.blob, mime: item.blob.type };
    return out;
  });
  return {
    task,
    settings: {
      modelId: modelIdOf(state, task),
      labelsText,
      template: templateOf(state, task),
      calibration: state.calibration,
      aggregation: state.aggregation,
    },
    labels: parseLabels(labelsText).labels,
    items,
  };
}

/** The project file as a stream, written in the archive worker. */
export function projectZip(state: AppState, task: Task, includeMedia: boolean, signal?: AbortSignal): ReadableStream<Uint8Array> {
  return writeProjectFile(projectInputOf(state, task, includeMedia), (entries) => zipInWorker(entries, signal));
}
