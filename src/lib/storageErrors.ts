/** Why a browser-storage operation failed, in the terms the user is told. */
export type StorageFailure = 'quota' | 'unavailable' | 'newer-version' | 'other';

/**
 * Browsers report a full disk or an exhausted origin quota as a DOMException named
 * QuotaExceededError (older Firefox: NS_ERROR_DOM_QUOTA_REACHED, code 22 / 1014).
 */
export function isQuotaExceeded(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, code } = error as { name?: unknown; code?: unknown };
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED' || code === 22 || code === 1014;
}

export function storageFailureOf(error: unknown): StorageFailure {
  if (isQuotaExceeded(error)) return 'quota';
  const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  // Opening a database at a lower version than stored: another tab runs a newer app and upgraded it.
  if (name === 'VersionError') return 'newer-version';
  // What private modes and blocked storage raise when a database is opened or used.
  return name === 'InvalidStateError' || name === 'SecurityError' || name === 'UnknownError' ? 'unavailable' : 'other';
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
