import { useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { BiasProbePanel, FewShotPanel, PromptLabPanel, ThresholdsPanel } from '../features/lab';
import { AccuracyBadge, MetricsPanel, useMetricsReport } from '../features/review';
import type { Task } from '../lib/tasks';

type AnalysisTab = 'metrics' | 'prompt-lab' | 'few-shot' | 'thresholds' | 'bias';

const TABS: ReadonlyArray<{ id: AnalysisTab; title: string }> = [
  { id: 'metrics', title: 'Metrics' },
  { id: 'prompt-lab', title: 'Prompt lab' },
  { id: 'few-shot', title: 'Few-shot' },
  { id: 'thresholds', title: 'Thresholds' },
  { id: 'bias', title: 'Bias probe' },
];

const DRAWER_ID = 'analysis-drawer';

/**
 * The views about the items (metrics, the prompt lab, few-shot heads, thresholds, the bias probe)
 * as tabs above them: one opens at a time as a drawer of bounded height with its own scroll, so
 * the items stay on the first screen. The metrics tab's label carries the accuracy.
 */
export function AnalysisTabs({ task }: { task: Task }) {
  const metrics = useMetricsReport(task);
  const [open, setOpen] = useState<AnalysisTab | null>(null);
  const tabRefs = useRef(new Map<AnalysisTab, HTMLButtonElement>());

  // Arrow keys move between the tabs (the WAI-ARIA tabs pattern); Enter or Space opens and closes one.
  const onKeyDown = (event: KeyboardEvent<HTMLButtonElement>, index: number) => {
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (step === 0 && event.key !== 'Home' && event.key !== 'End') return;
    event.preventDefault();
    event.stopPropagation();
    const next = event.key === 'Home' ? 0 : event.key === 'End' ? TABS.length - 1 : (index + step + TABS.length) % TABS.length;
    tabRefs.current.get(TABS[next]!.id)?.focus();
  };

  const views: Record<AnalysisTab, () => ReactNode> = {
    metrics: () => <MetricsPanel task={task} metrics={metrics} />,
    'prompt-lab': () => <PromptLabPanel task={task} />,
    'few-shot': () => <FewShotPanel task={task} />,
    thresholds: () => <ThresholdsPanel task={task} />,
    bias: () => <BiasProbePanel task={task} />,
  };

  return (
    <div data-testid="analysis-tabs" data-open={open ?? ''} className="rounded-lg border border-slate-200 bg-white shadow-sm">
      <div role="tablist" aria-label="Views of the items" className="flex flex-wrap items-center gap-1 px-2 pt-2">
        {TABS.map((tab, index) => (
          <button
            key={tab.id}
            ref={(element) => {
              if (element) tabRefs.current.set(tab.id, element);
              else tabRefs.current.delete(tab.id);
            }}
            role="tab"
            id={`analysis-tab-${tab.id}`}
            data-testid={`analysis-tab-${tab.id}`}
            aria-selected={open === tab.id}
            aria-expanded={open === tab.id}
            aria-controls={open === tab.id ? DRAWER_ID : undefined}
            className={`rounded-t border border-b-0 px-3 py-1 text-sm ${open === tab.id ? 'border-slate-300 bg-slate-50 font-semibold' : 'border-transparent text-slate-600 hover:bg-slate-50'}`}
            onClick={() => setOpen(open === tab.id ? null : tab.id)}
            onKeyDown={(event) => onKeyDown(event, index)}
          >
            {tab.title}
            {tab.id === 'metrics' && metrics.report !== null && (
              <>
                {' · accuracy '}
                <AccuracyBadge metrics={metrics} />
              </>
            )}
          </button>
        ))}
        {open !== null && (
          <button data-testid="analysis-close" className="btn ml-auto text-xs" aria-label="Close the view" onClick={() => setOpen(null)}>
            Close ×
          </button>
        )}
      </div>
      {open !== null && (
        <div
          role="tabpanel"
          id={DRAWER_ID}
          data-testid="analysis-drawer"
          data-tab={open}
          aria-labelledby={`analysis-tab-${open}`}
          className="max-h-[50vh] overflow-auto border-t border-slate-300 bg-slate-50/40 p-3"
        >
          {views[open]()}
        </div>
      )}
    </div>
  );
}
