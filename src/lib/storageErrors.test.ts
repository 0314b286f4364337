import { describe, expect, it } from 'vitest';
import { errorMessage, isQuotaExceeded, storageFailureOf } from './storageErrors';

describe('storage errors', () => {
  it('recognises a quota failure by name or legacy code', () => {
    expect(isQuotaExceeded(new DOMException('full', 'QuotaExceededError'))).toBe(true);
    expect(isQuotaExceeded({ name: 'NS_ERROR_DOM_QUOTA_REACHED' })).toBe(true);
    expect(isQuotaExceeded(new DOMException('other', 'DataError'))).toBe(false);
    expect(isQuotaExceeded(null)).toBe(false);
    expect(isQuotaExceeded('QuotaExceededError')).toBe(false);
  });

  it('classifies failures', () => {
    expect(storageFailureOf(new DOMException('full', 'QuotaExceededError'))).toBe('quota');
    expect(storageFailureOf(new DOMException('private', 'InvalidStateError'))).toBe('unavailable');
    expect(storageFailureOf(new DOMException('denied', 'SecurityError'))).toBe('unavailable');
    expect(storageFailureOf(new DOMException('newer', 'VersionError'))).toBe('newer-version');
    expect(storageFailureOf(new Error('boom'))).toBe('other');
  });

  it('gives a message for anything thrown', () => {
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage('plain')).toBe('plain');
  });
});
