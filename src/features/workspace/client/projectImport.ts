/**
 * Applying a checked project file (lib/projectFile) to the store. With media, the file replaces
 * the task's workspace: items come back with their blobs, truth, decisions and predictions (the
 * controllers then prepare and re-rank them as for any new item). Without media, the decisions
 * and truth go to the items already here with the same path.
 */
import type { StoreApi } from 'zustand';
import type { ParsedProject, ProjectItem } from '../../../lib/projectFile';
import type { AppState } from '../../../store';
import { modelIdOf, type Settings } from '../../../store/settingsSlice';
import { newAudioItem } from '../../audio';
import { newImageItem } from '../../image';
import type { ModelChooser } from '../../models';
import type { Task } from '../../../lib/tasks';
import { workspaceItemsOf } from './workspaceItems';

export interface ProjectImportReport {
  task: Task;
  added: number;
  updated: number;
  /** Paths of items the file lists that could not be applied. */
  leftOut: string[];
}

function taskSettings(project: ParsedProject): Partial<Settings> {
  const { task, settings } = project.manifest;
  const shared = { task, calibration: settings.calibration, aggregation: settings.aggregation };
  return task === 'image'
    ? { ...shared, labelsText: settings.labelsText, template: settings.template }
    : { ...shared, audioLabelsText: settings.labelsText, audioTemplate: settings.template };
}

function reviewFields(item: ProjectItem) {
  return { truth: item.truth, decision: item.decision, finalLabel: item.finalLabel };
}

function fileOf(item: ProjectItem, bytes: Uint8Array<ArrayBuffer>): File {
  return new File([bytes], item.name, { type: item.media?.mime ?? '' });
}

export function applyProject(store: StoreApi<AppState>, models: Record<Task, ModelChooser>, project: ParsedProject): ProjectImportReport {
  const { manifest, media } = project;
  const task = manifest.task;
  const state = store.getState();
  state.applySettings(taskSettings(project));
  // Choosing the model that is already loaded would load it again.
  if (modelIdOf(state, task) !== manifest.settings.modelId) models[task].chooseModel(manifest.settings.modelId);

  const withMedia = manifest.items.filter((item) => item.media && media.has(item.media.path));
  if (withMedia.length > 0) {
    const restored = new Set(withMedia);
    const leftOut = manifest.items.filter((item) => !restored.has(item)).map((item) => item.path);
    if (task === 'image') {
      state.clearItems();
      state.addItems(
        withMedia.map((item) => ({
          ...newImageItem(fileOf(item, media.get(item.media!.path)!), item.path),
          ...reviewFields(item),
          predictions: item.predictions,
        })),
      );
    } else {
      state.clearAudioItems();
      state.addAudioItems(
        withMedia.map((item) => ({
          ...newAudioItem(fileOf(item, media.get(item.media!.path)!), item.path),
          ...reviewFields(item),
          predictions: item.predictions,
          rawScores: item.rawScores ? Float32Array.from(item.rawScores) : null,
          transcript: item.transcript ?? null,
        })),
      );
    }
    state.resetReview(task);
    return { task, added: withMedia.length, updated: 0, leftOut };
  }

  // No media: match the items already here by path (first come, first served for repeated paths).
  const byPath = new Map<string, string[]>();
  for (const item of workspaceItemsOf(store.getState(), task)) byPath.set(item.path, [...(byPath.get(item.path) ?? []), item.id]);
  const patches = new Map<string, ReturnType<typeof reviewFields>>();
  const leftOut: string[] = [];
  for (const item of manifest.items) {
    const id = byPath.get(item.path)?.shift();
    if (id === undefined) leftOut.push(item.path);
    else patches.set(id, reviewFields(item));
  }
  if (task === 'image') state.updateItems(patches);
  else state.updateAudioItems(patches);
  return { task, added: 0, updated: patches.size, leftOut };
}
