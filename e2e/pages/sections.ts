/**
 * The page's folding parts: side panels that fold to a title line (<details>), the model panel
 * that folds to one line once ready, and the views above the items that open as tabs.
 */
import { expect, type Locator, type Page } from '@playwright/test';

export type SideSection = 'workspace-section' | 'export-section' | 'stats-section';
export type AnalysisTab = 'metrics' | 'prompt-lab' | 'few-shot' | 'thresholds' | 'bias';

/** Opens a folded side panel (a no-op when it is open). */
export async function openSection(page: Page, section: SideSection): Promise<Locator> {
  const details = page.getByTestId(section);
  if (!(await details.evaluate((el) => (el as HTMLDetailsElement).open))) await details.locator('summary').first().click();
  await expect(details).toHaveAttribute('open', '');
  return details;
}

/** Unfolds the model panel (folded to one line once the model is ready); a no-op when it is open. */
export async function expandModelPanel(page: Page): Promise<void> {
  const panel = page.getByTestId('model-panel');
  if ((await panel.getAttribute('data-collapsed')) === 'true') await page.getByTestId('model-panel-expand').click();
  await expect(panel).toHaveAttribute('data-collapsed', 'false');
}

/** Opens one of the views above the items (a no-op when it is the open one). */
export async function openAnalysisTab(page: Page, tab: AnalysisTab): Promise<Locator> {
  const drawer = page.getByTestId('analysis-drawer');
  if ((await page.getByTestId('analysis-tabs').getAttribute('data-open')) !== tab) await page.getByTestId(`analysis-tab-${tab}`).click();
  await expect(drawer).toHaveAttribute('data-tab', tab);
  return drawer;
}
