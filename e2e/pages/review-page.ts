/**
 * Page object for reviewing items (decisions, keyboard, filters) and the ground-truth metrics
 * panel. Reads the data-* contract: items carry data-decision / data-truth / data-focused /
 * data-selected; confusion cells carry data-truth / data-predicted / data-count.
 */
import { expect, type Locator, type Page } from '@playwright/test';
import { openAnalysisTab } from './sections';

export type Decision = 'none' | 'accepted' | 'overridden' | 'rejected';

/** Where the focused item sits on screen (null when no item in the DOM has the focus). */
export interface FocusedBox {
  name: string;
  /** Its left edge, px from the viewport's: the same for items in one lane. */
  left: number;
  top: number;
  bottom: number;
  /** Its top, px from the page's: grows down a lane whatever the scroll. */
  pageTop: number;
  /** Wholly inside the viewport. */
  inView: boolean;
}

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
  readonly audioList: Locator;

  constructor(readonly page: Page) {
    this.folderInput = page.getByTestId('folder-input');
    this.accuracy = page.getByTestId('accuracy');
    this.confusionCells = page.getByTestId('confusion-cell');
    this.classRows = page.getByTestId('class-metrics-row');
    this.keysHelp = page.getByTestId('keys-help');
    this.cellFilter = page.getByTestId('review-cell-filter');
    this.grid = page.getByTestId('image-grid');
    this.audioList = page.getByTestId('audio-list');
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

  /** Opens the metrics view (a tab above the items) where the per-class table and the confusion matrix are. */
  async openMetrics(): Promise<void> {
    await openAnalysisTab(this.page, 'metrics');
  }

  /** Opens the metrics view and reads the confusion matrix. */
  async confusion(): Promise<ConfusionCellValue[]> {
    await this.openMetrics();
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

  item(name: string): Locator {
    return this.page.locator(`[data-testid="item"][data-name="${name}"]`);
  }

  /** The names of the items in the DOM right now (a virtualised list holds only those near the screen). */
  async renderedNames(): Promise<string[]> {
    return this.items().evaluateAll((elements) => elements.map((el) => el.getAttribute('data-name') ?? ''));
  }

  async focusedBox(): Promise<FocusedBox | null> {
    return this.page.evaluate(async () => {
      // Two frames first: a focus change is rendered, then scrolled to, after the key event.
      await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
      const element = document.querySelector('[data-testid="item"][data-focused="true"]');
      if (!element) return null;
      const rect = element.getBoundingClientRect();
      return {
        name: element.getAttribute('data-name') ?? '',
        left: Math.round(rect.left),
        top: rect.top,
        bottom: rect.bottom,
        pageTop: Math.round(rect.top + window.scrollY),
        inView: rect.top >= 0 && rect.bottom <= window.innerHeight && rect.height > 0,
      };
    });
  }

  /** Waits until `name` has the focus and has been scrolled wholly into the viewport; returns where it is. */
  async expectFocusedInView(name: string): Promise<FocusedBox> {
    const seen: { box: FocusedBox | null } = { box: null };
    await expect.poll(async () => (seen.box = await this.focusedBox()), { message: `${name} focused and in view` }).toMatchObject({ name, inView: true });
    return seen.box!;
  }

  /** Presses `key` and waits until the focus has left `from` for an item wholly in the viewport; returns where that is. */
  async moveFocus(key: string, from: string): Promise<FocusedBox> {
    await this.press(key);
    const seen: { box: FocusedBox | null } = { box: null };
    await expect
      .poll(async () => {
        seen.box = await this.focusedBox();
        return seen.box !== null && seen.box.name !== from && seen.box.inView;
      }, { message: `${key} moves the focus from ${from} to an item in view` })
      .toBe(true);
    return seen.box!;
  }

  /**
   * Scrolls the window from the top to the bottom, most of a screen at a time, and returns every
   * item name rendered on the way and the most items the DOM held at once. One call into the page.
   */
  async scrollThrough(): Promise<{ names: Set<string>; mostRendered: number }> {
    const { names, mostRendered } = await this.page.evaluate(async () => {
      const frames = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
      window.scrollTo({ top: 0, behavior: 'instant' });
      const seen = new Set<string>();
      let most = 0;
      for (;;) {
        // Two frames: the scroll event is handled and the newly near items are rendered.
        await frames();
        const rendered = Array.from(document.querySelectorAll('[data-testid="item"]'), (el) => el.getAttribute('data-name') ?? '');
        for (const name of rendered) seen.add(name);
        most = Math.max(most, rendered.length);
        const before = window.scrollY;
        window.scrollBy({ top: window.innerHeight * 0.8, behavior: 'instant' });
        if (window.scrollY === before) return { names: [...seen], mostRendered: most };
      }
    });
    return { names: new Set(names), mostRendered };
  }

  /**
   * Scrolls the window down from where it is, most of a screen at a time, until `name` is rendered
   * (a virtualised list renders it only near the screen). Fails at the bottom of the page.
   */
  async scrollUntilRendered(name: string): Promise<void> {
    await this.page.evaluate(async (wanted) => {
      const frames = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
      const rendered = () => Array.from(document.querySelectorAll('[data-testid="item"]')).some((el) => el.getAttribute('data-name') === wanted);
      for (;;) {
        await frames();
        if (rendered()) return;
        const before = window.scrollY;
        window.scrollBy({ top: window.innerHeight * 0.8, behavior: 'instant' });
        if (window.scrollY === before) return;
      }
    }, name);
    await expect(this.item(name), `${name} rendered somewhere on the page`).toHaveCount(1);
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
