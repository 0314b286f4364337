/**
 * Page object for the workspace panel (named workspaces and their storage) and the `?debug=1`
 * hook that reads the items' workspace fields (path included, which the grid doesn't show).
 */
import { expect, type Locator, type Page } from '@playwright/test';
import { openSection } from './sections';

export interface StoredItemView {
  name: string;
  path: string;
  truth: string | null;
  decision: string;
  finalLabel: string | null;
  top: string | null;
}

/** A save is debounced and then one IndexedDB transaction: quick, but waited for on state, not time. */
const SAVE_TIMEOUT_MS = 30_000;

export class StoragePage {
  readonly select: Locator;
  readonly newButton: Locator;
  readonly renameButton: Locator;
  readonly nameInput: Locator;
  readonly renameSave: Locator;
  readonly deleteButton: Locator;
  readonly deleteConfirm: Locator;
  readonly clearButton: Locator;
  readonly clearConfirm: Locator;
  readonly storageUsed: Locator;
  readonly storageStatus: Locator;
  readonly retryButton: Locator;
  readonly reloadButton: Locator;

  constructor(readonly page: Page) {
    this.select = page.getByTestId('workspace-select');
    this.newButton = page.getByTestId('workspace-new');
    this.renameButton = page.getByTestId('workspace-rename');
    this.nameInput = page.getByTestId('workspace-name-input');
    this.renameSave = page.getByTestId('workspace-rename-save');
    this.deleteButton = page.getByTestId('workspace-delete');
    this.deleteConfirm = page.getByTestId('workspace-delete-confirm');
    this.clearButton = page.getByTestId('storage-clear');
    this.clearConfirm = page.getByTestId('storage-clear-confirm');
    this.storageUsed = page.getByTestId('storage-used');
    this.storageStatus = page.getByTestId('storage-status');
    this.retryButton = page.getByTestId('storage-retry');
    this.reloadButton = page.getByTestId('storage-reload');
  }

  /** Waits until nothing is waiting to be saved and the last save succeeded, with `items` items stored. */
  async expectSaved(items: number): Promise<void> {
    await expect(this.storageStatus).toHaveAttribute('data-state', 'saved', { timeout: SAVE_TIMEOUT_MS });
    await expect(this.storageStatus).toHaveAttribute('data-pending', 'false', { timeout: SAVE_TIMEOUT_MS });
    await expect(this.storageUsed).toHaveAttribute('data-saved-items', String(items), { timeout: SAVE_TIMEOUT_MS });
  }

  async workspaceNames(): Promise<string[]> {
    return this.select.locator('option').evaluateAll((options) => options.map((option) => option.textContent ?? ''));
  }

  async activeName(): Promise<string> {
    return this.select.evaluate((select) => {
      const element = select as HTMLSelectElement;
      return element.selectedOptions[0]?.textContent ?? '';
    });
  }

  /** Opens the folded workspace panel (it opens by itself when storage has a problem). */
  async openPanel(): Promise<void> {
    await openSection(this.page, 'workspace-section');
  }

  async create(): Promise<void> {
    await this.openPanel();
    const before = (await this.workspaceNames()).length;
    await this.newButton.click();
    await expect(this.select.locator('option')).toHaveCount(before + 1);
  }

  async rename(name: string): Promise<void> {
    await this.openPanel();
    await this.renameButton.click();
    await this.nameInput.fill(name);
    await this.renameSave.click();
    await expect.poll(() => this.activeName()).toBe(name);
  }

  async switchTo(name: string): Promise<void> {
    await this.openPanel();
    await this.select.selectOption({ label: name });
    await expect.poll(() => this.activeName()).toBe(name);
  }

  async deleteActive(): Promise<void> {
    await this.openPanel();
    await this.deleteButton.click();
    await this.deleteConfirm.click();
  }

  async clearStorage(): Promise<void> {
    await this.openPanel();
    await this.clearButton.click();
    await this.clearConfirm.click();
  }

  // ---- debug API (?debug=1) ----------------------------------------------------------------

  async items(): Promise<StoredItemView[]> {
    return this.page.evaluate(() => {
      const api = (window as unknown as { zspDebug?: { imageItems(): StoredItemView[] } }).zspDebug;
      if (!api) throw new Error('window.zspDebug is missing (is ?debug=1 set?)');
      return api.imageItems();
    });
  }

  // ---- IndexedDB read directly (not through the app) -------------------------------------------

  /** Every item record stored in the workspaces' database, with its media record (if any), read as the browser holds them. */
  async rawStoredItems(): Promise<RawStoredItem[]> {
    return this.page.evaluate(rawStoredItemsInPage, WORKSPACE_DB_NAME);
  }
}

/** The workspaces' database (src/features/workspace/client/workspaceDb.ts), opened here without a version so as not to upgrade it. */
export const WORKSPACE_DB_NAME = 'zero-shot-playground-workspaces';

export interface RawStoredItem {
  name: string;
  workspaceId: string;
  state: string;
  decision: string;
  top: string | null;
  /** The byte count the item record says its media has, and the stored media Blob's size (null: no media record). */
  mediaBytes: number;
  blobBytes: number | null;
}

/** Runs in the page (also inside a `waitForFunction`): plain IndexedDB, none of the app's code. */
export async function rawStoredItemsInPage(dbName: string): Promise<RawStoredItem[]> {
  const request = (r: IDBRequest) =>
    new Promise<unknown>((resolve, reject) => {
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
    });
  const open = indexedDB.open(dbName);
  const db = (await request(open)) as IDBDatabase;
  try {
    if (!db.objectStoreNames.contains('items')) return [];
    const transaction = db.transaction(['items', 'media'], 'readonly');
    const [items, media] = (await Promise.all([request(transaction.objectStore('items').getAll()), request(transaction.objectStore('media').getAll())])) as [
      Array<Record<string, unknown>>,
      Array<{ id: string; blob: Blob }>,
    ];
    const blobs = new Map(media.map((entry) => [entry.id, entry.blob.size]));
    return items.map((item) => {
      const predictions = item.predictions as Array<{ label: string }> | undefined;
      return {
        name: String(item.name),
        workspaceId: String(item.workspaceId),
        state: String(item.state),
        decision: String(item.decision),
        top: predictions?.[0]?.label ?? null,
        mediaBytes: Number(item.mediaBytes),
        blobBytes: blobs.get(String(item.id)) ?? null,
      };
    });
  } finally {
    db.close();
  }
}
