import { useState, type ReactNode } from 'react';

/**
 * A panel that folds to its title line (a native <details>: keyboard and screen readers know
 * it). Closed by default; `forceOpen` opens it when it has something the user must see (a
 * storage problem), and it stays open after that until the user closes it.
 */
export function Collapsible({
  title,
  summary,
  testId,
  forceOpen = false,
  children,
}: {
  title: string;
  /** Shown after the title on the folded line (a status), so a closed panel still says how things stand. */
  summary?: ReactNode;
  testId: string;
  forceOpen?: boolean;
  children: ReactNode;
}) {
  const [open, setOpen] = useState(false);
  const [wasForced, setWasForced] = useState(forceOpen);
  // Adjusted while rendering (as React recommends), not in an effect: a forced opening is remembered.
  if (forceOpen !== wasForced) {
    setWasForced(forceOpen);
    if (forceOpen) setOpen(true);
  }
  return (
    <details
      data-testid={testId}
      open={open}
      onToggle={(event) => setOpen(event.currentTarget.open)}
      className="rounded-lg border border-slate-200 bg-white shadow-sm open:pb-0"
    >
      <summary className="flex cursor-pointer items-baseline gap-2 px-3 py-2 text-sm">
        <span className="font-semibold">{title}</span>
        {summary !== undefined && <span className="min-w-0 flex-1 truncate text-xs text-slate-500">{summary}</span>}
      </summary>
      <div className="[&>section]:rounded-t-none [&>section]:border-0 [&>section]:border-t [&>section]:shadow-none">{children}</div>
    </details>
  );
}
