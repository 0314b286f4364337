import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_SETTINGS, storedSettings } from './settingsSlice';

/** Written out, not imported: importing the store module would create the store before the stub is in place. */
const STORAGE_KEY = 'zero-shot-playground/settings';

class MemoryStorage implements Storage {
  private readonly values = new Map<string, string>();
  get length(): number {
    return this.values.size;
  }
  clear(): void {
    this.values.clear();
  }
  getItem(key: string): string | null {
    return this.values.get(key) ?? null;
  }
  key(index: number): string | null {
    return [...this.values.keys()][index] ?? null;
  }
  removeItem(key: string): void {
    this.values.delete(key);
  }
  setItem(key: string, value: string): void {
    this.values.set(key, value);
  }
}

/** A fresh store that hydrates from a localStorage holding `record` (raw text, as a hand edit leaves it). */
async function storeFrom(record: string | null) {
  vi.resetModules();
  const storage = new MemoryStorage();
  if (record !== null) storage.setItem(STORAGE_KEY, record);
  vi.stubGlobal('localStorage', storage);
  const { useAppStore, SETTINGS_STORAGE_KEY, SETTINGS_VERSION } = await import('./index');
  expect(SETTINGS_STORAGE_KEY).toBe(STORAGE_KEY);
  const { settingsOf } = await import('./settingsSlice');
  return { settings: settingsOf(useAppStore.getState()), storage, version: SETTINGS_VERSION };
}

describe('settings from localStorage', () => {
  it('keeps a version-1 record (image settings only) and gives the audio settings their defaults', async () => {
    const v1 = { modelId: 'test-org/clip-shapes', hubHost: 'http://127.0.0.1:9/', backendPreference: 'wasm', labelsText: 'cat\ndog', template: 'a {}' };
    const { settings, storage, version } = await storeFrom(JSON.stringify({ state: v1, version: 1 }));
    expect(settings).toEqual({ ...DEFAULT_SETTINGS, ...v1 });
    // The migrated record is written back at the current version.
    expect(JSON.parse(storage.getItem(STORAGE_KEY) ?? 'null')).toEqual({ state: { ...DEFAULT_SETTINGS, ...v1 }, version });
  });

  it('replaces each wrong-typed or out-of-range field of a current record with its default, keeping the rest', async () => {
    const edited = {
      ...DEFAULT_SETTINGS,
      task: 'video',
      modelId: { owner: 'x' },
      audioModelId: '',
      backendPreference: 'quantum',
      hubHost: 'javascript:alert(1)',
      calibration: 42,
      aggregation: null,
      labelsText: 'kept\nlabels',
      audioTemplate: ' kept {}',
      extra: '<script>',
    };
    const { settings } = await storeFrom(JSON.stringify({ state: edited, version: 2 }));
    expect(settings).toEqual({ ...DEFAULT_SETTINGS, labelsText: 'kept\nlabels', audioTemplate: ' kept {}' });
    expect(settings).not.toHaveProperty('extra');
  });

  it('keeps a version-2 record (no saved templates) and gives it an empty template list', async () => {
    const v2 = { ...DEFAULT_SETTINGS, labelsText: 'cat\ndog' } as Partial<typeof DEFAULT_SETTINGS>;
    delete v2.savedTemplates;
    const { settings, storage, version } = await storeFrom(JSON.stringify({ state: v2, version: 2 }));
    expect(settings).toEqual({ ...DEFAULT_SETTINGS, labelsText: 'cat\ndog', savedTemplates: [] });
    expect(JSON.parse(storage.getItem(STORAGE_KEY) ?? 'null')).toEqual({ state: { ...DEFAULT_SETTINGS, labelsText: 'cat\ndog' }, version });
  });

  it('keeps saved templates, and drops a list that holds anything but text', async () => {
    const kept = await storeFrom(JSON.stringify({ state: { ...DEFAULT_SETTINGS, savedTemplates: ['a {} in the wild', 'itap of a {}.'] }, version: 3 }));
    expect(kept.settings.savedTemplates).toEqual(['a {} in the wild', 'itap of a {}.']);
    const wrong = await storeFrom(JSON.stringify({ state: { ...DEFAULT_SETTINGS, labelsText: 'kept', savedTemplates: ['ok', 7] }, version: 3 }));
    expect(wrong.settings).toEqual({ ...DEFAULT_SETTINGS, labelsText: 'kept' });
  });

  it('gives a version-3 record the exact resize path, keeps a native choice and drops an unknown one', async () => {
    const v3 = { ...DEFAULT_SETTINGS, labelsText: 'cat' } as Partial<typeof DEFAULT_SETTINGS>;
    delete v3.imageResizeMode;
    const migrated = await storeFrom(JSON.stringify({ state: v3, version: 3 }));
    expect(migrated.settings).toEqual({ ...DEFAULT_SETTINGS, labelsText: 'cat', imageResizeMode: 'exact' });
    expect(JSON.parse(migrated.storage.getItem(STORAGE_KEY) ?? 'null')).toEqual({ state: { ...DEFAULT_SETTINGS, labelsText: 'cat' }, version: migrated.version });
    const native = await storeFrom(JSON.stringify({ state: { ...DEFAULT_SETTINGS, imageResizeMode: 'native' }, version: 4 }));
    expect(native.settings.imageResizeMode).toBe('native');
    const unknown = await storeFrom(JSON.stringify({ state: { ...DEFAULT_SETTINGS, imageResizeMode: 'bicubic' }, version: 4 }));
    expect(unknown.settings).toEqual(DEFAULT_SETTINGS);
  });

  it('starts from the defaults when the record is garbage, without throwing', async () => {
    for (const garbage of ['not json {', '"a string"', '42', 'null', '[1,2]', '{"state":[1,2],"version":2}', '{"state":"x","version":1}', '{"version":2}']) {
      const { settings } = await storeFrom(garbage);
      expect(settings, garbage).toEqual(DEFAULT_SETTINGS);
    }
  });

  it('ignores a record from a newer version, whose fields may mean something else', async () => {
    const { settings } = await storeFrom(JSON.stringify({ state: { ...DEFAULT_SETTINGS, labelsText: 'from the future' }, version: 99 }));
    expect(settings).toEqual(DEFAULT_SETTINGS);
  });

  it('starts from the defaults with nothing stored', async () => {
    const { settings } = await storeFrom(null);
    expect(settings).toEqual(DEFAULT_SETTINGS);
  });
});

describe('storedSettings', () => {
  it('keeps a valid record as it is, as a fresh object without unknown fields', () => {
    const record = { ...DEFAULT_SETTINGS, task: 'audio', hubHost: 'https://mirror.example/hf/', unknown: 1 };
    const settings = storedSettings(record);
    const { unknown: _unknown, ...expected } = record;
    expect(settings).toEqual(expected);
    expect(settings).not.toBe(record);
  });

  it('takes an http(s) host, normalised as the app stores it, and nothing else', () => {
    expect(storedSettings({ hubHost: 'http://127.0.0.1:9/' }).hubHost).toBe('http://127.0.0.1:9/');
    expect(storedSettings({ hubHost: ' https://mirror.example/hf' }).hubHost).toBe('https://mirror.example/hf/');
    for (const bad of ['file:///etc/', 'javascript:alert(1)', 'https://user:pw@mirror.example/', 'not a url', 7])
      expect(storedSettings({ hubHost: bad }).hubHost, String(bad)).toBe(DEFAULT_SETTINGS.hubHost);
  });

  it('gives every default for anything that is not a record', () => {
    for (const value of [undefined, null, 'x', 3, [DEFAULT_SETTINGS], new Uint8Array(2)]) expect(storedSettings(value)).toEqual(DEFAULT_SETTINGS);
  });
});
