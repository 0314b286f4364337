import { useState } from 'react';
import { linkLengthWarning } from '../../../lib/shareFragment';
import { useAppStore } from '../../../store';
import { liveSourceOf, makeShareLink, type ShareLinkResult } from '../client/shareLink';

/**
 * "Share": a link that reopens this demo (task, model, labels, template, calibration) and, opted
 * in, a few small examples, all inside the URL fragment, which browsers never send to a server;
 * and the short query link with the same settings. Opted in, both open in live mode (the camera
 * for images, the microphone for audio), after the browser's permission prompt.
 */
export function SharePanel() {
  const [includeExamples, setIncludeExamples] = useState(false);
  const [live, setLive] = useState(false);
  const liveSource = liveSourceOf(useAppStore((state) => state.task));
  const [result, setResult] = useState<ShareLinkResult | null>(null);
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState(false);
  /** Counts the links made, so tools can tell a new link from the previous one. */
  const [made, setMade] = useState(0);

  const share = () => {
    setBusy(true);
    setCopied(false);
    setResult(null);
    makeShareLink(useAppStore.getState(), { includeExamples, live }, `${location.origin}${location.pathname}`)
      .then(setResult)
      .catch((error: unknown) => setResult({ ok: false, problems: [error instanceof Error ? error.message : String(error)] }))
      .finally(() => {
        setBusy(false);
        setMade((count) => count + 1);
      });
  };
  const link = result?.ok ? result.link : null;
  const warning = link ? linkLengthWarning(link.length) : null;

  return (
    <div className="space-y-1 border-t border-slate-100 pt-2 text-xs" aria-label="Share" data-testid="share-panel" data-links-made={made}>
      <div className="flex flex-wrap items-center gap-2">
        <button data-testid="share-button" className="btn" disabled={busy} onClick={share}>
          Share demo link
        </button>
        <label className="flex items-center gap-1">
          <input type="checkbox" data-testid="share-include-examples" checked={includeExamples} onChange={(e) => setIncludeExamples(e.target.checked)} />
          with a few examples
        </label>
        <label className="flex items-center gap-1">
          <input type="checkbox" data-testid="share-live" data-source={liveSource} checked={live} onChange={(e) => setLive(e.target.checked)} />
          open in live mode ({liveSource})
        </label>
      </div>
      {result && !result.ok && (
        <div data-testid="share-problems" className="text-red-700">
          <p>This demo can't be shared as a link:</p>
          <ul className="list-disc pl-4">
            {result.problems.map((problem, index) => (
              <li key={index}>{problem}</li>
            ))}
          </ul>
        </div>
      )}
      {link && result?.ok && (
        <>
          <div className="flex items-center gap-2">
            <button
              data-testid="share-copy"
              className="btn"
              onClick={() =>
                void navigator.clipboard?.writeText(link).then(
                  () => setCopied(true),
                  () => setCopied(false),
                )
              }
            >
              {copied ? 'Copied!' : 'Copy'}
            </button>
            <span data-testid="share-link-length" data-length={link.length} className="text-slate-500">
              {link.length.toLocaleString('en-US')} characters
            </span>
          </div>
          <p data-testid="share-link" className="max-h-16 overflow-auto break-all font-mono text-slate-600">
            {link}
          </p>
          <p className="text-slate-500">
            Short link, settings only (no examples):{' '}
            <span data-testid="share-query-link" className="break-all font-mono text-slate-600">
              {result.queryLink}
            </span>
          </p>
          {result.downscaled && result.downscaled.length > 0 && (
            <p data-testid="share-downscaled" className="text-slate-600">
              Made smaller to fit: {result.downscaled.join(', ')}.
            </p>
          )}
          {result.leftOut && result.leftOut.length > 0 && (
            <p data-testid="share-left-out" className="text-amber-700">
              Left out: {result.leftOut.map(({ name, reason }) => `${name} (${reason})`).join('; ')}.
            </p>
          )}
          {warning && (
            <p data-testid="share-warning" className="text-amber-700">
              {warning.message} For the whole workspace, save a project file instead (Export and import).
            </p>
          )}
        </>
      )}
    </div>
  );
}
