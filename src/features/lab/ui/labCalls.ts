import type { Task } from '../../../lib/tasks';
import { useAppStore } from '../../../store';

/**
 * Starts a lab call from a click. The service reports its own errors in the store; one that
 * escapes it (a bug, a refused file) lands there too rather than as an unhandled rejection.
 */
export function startLabCall(task: Task, call: () => Promise<void>): void {
  useAppStore.getState().setLabError(task, null);
  call().catch((error: unknown) => useAppStore.getState().setLabError(task, error instanceof Error ? error.message : String(error)));
}

/** A score threshold with the digits that tell it apart from 1 (softmax top scores crowd just below it). */
export function thresholdText(threshold: number): string {
  return threshold > 0.9995 && threshold < 1 ? threshold.toPrecision(6) : threshold.toFixed(3);
}

export function percentText(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : `${(value * 100).toFixed(digits)}%`;
}
