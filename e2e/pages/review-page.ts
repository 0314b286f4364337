/**
 * Page object for reviewing items (decisions, keyboard, filters) and the ground-truth metrics
 * panel. Reads the data-* contract: items carry data-decision / data-truth / data-focused /
 * data-selected; confusion cells carry data-truth / data-predicted / data-count.
 */
import { expect, type Locator, type Page } from '@playwright/test';

export type Decision = 'none' | 'accepted' | 'overridden' | 'rejected';

export interface ConfusionCellValue {
  truth: string;
  /** '' is the "none" column. */
  predicted: string;
  count: number;
}

export class ReviewPage {
  readonly folderInput: Locator;
  readonly accuracy: Locator;
  readonly confusionCells: Locator;
  readonly classRows: Locator;
  readonly keysHelp: Locator;
  readonly cellFilter: Locator;
  readonly grid: Locator;

  constructor(readonly page: Page) {
    this.folderInput = page.getByTestId('folder-input');
    this.accuracy = page.getByTestId('accuracy');
    this.confusionCells = page.getByTestId('confusion-cell');
    this.classRows = page.getByTestId('class-metrics-row');
    this.keysHelp = page.getByTestId('keys-help');
    this.cellFilter = page.getByTestId('review-cell-filter');
    this.grid = page.getByTestId('image-grid');
  }

  /** Picks a folder from disk (ImageFolder layout gives ground truth). */
  async addFolder(path: string): Promise<void> {
    await this.folderInput.setInputFiles(path);
  }

  items(): Locator {
    return this.page.getByTestId('item');
  }

  /** The items shown, in the order shown: name, decision, truth, top prediction. */
  async shownItems(): Promise<Array<{ name: string; decision: string; truth: string | null; finalLabel: string | null; top: string | null }>> {
    return this.items().evaluateAll((elements) =>
      elements.map((el) => ({
        name: el.getAttribute('data-name') ?? '',
        decision: el.getAttribute('data-decision') ?? '',
        truth: el.getAttribute('data-truth'),
        finalLabel: el.getAttribute('data-final-label'),
        top: el.querySelector('[data-testid="prediction"]')?.getAttribute('data-label') ?? null,
      })),
    );
  }

  async confusion(): Promise<ConfusionCellValue[]> {
    return this.confusionCells.evaluateAll((cells) =>
      cells.map((cell) => ({
        truth: cell.getAttribute('data-truth') ?? '',
        predicted: cell.getAttribute('data-predicted') ?? '',
        count: Number(cell.getAttribute('data-count')),
      })),
    );
  }

  cell(truth: string, predicted: string): Locator {
    return this.page.locator(`[data-testid="confusion-cell"][data-truth="${truth}"][data-predicted="${predicted}"]`);
  }

  async accuracyPercent(): Promise<number> {
    const text = await this.accuracy.innerText();
    const match = /([\d.]+)\s*%/.exec(text);
    if (!match) throw new Error(`accuracy text "${text}" has no percentage`);
    return Number(match[1]);
  }

  focused(): Locator {
    return this.page.locator('[data-testid="item"][data-focused="true"]');
  }

  async expectFocused(name: string): Promise<void> {
    await expect(this.focused()).toHaveAttribute('data-name', name);
  }

  async press(key: string): Promise<void> {
    await this.page.keyboard.press(key);
  }

  async expectDecision(name: string, decision: Decision, finalLabel?: string | null): Promise<void> {
    const item = this.page.locator(`[data-testid="item"][data-name="${name}"]`);
    await expect(item).toHaveAttribute('data-decision', decision);
    if (finalLabel === null) await expect(item).not.toHaveAttribute('data-final-label');
    else if (finalLabel !== undefined) await expect(item).toHaveAttribute('data-final-label', finalLabel);
  }
}
