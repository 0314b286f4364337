import { allowedConnectHosts, policyAllowsConnect, policyFromDocument } from '../../../lib/contentSecurityPolicy';
import { useAppStore } from '../../../store';
import { AppShellService, useShellState } from './shellServices';

/**
 * A new version is installed: it is used only once the user reloads into it, never swapped silently;
 * accepted in another tab, this tab says so and waits for its own reload.
 */
export function UpdateBanner() {
  const shell = AppShellService.use();
  const { updateReady, takenOver } = useShellState();
  if (takenOver)
    return (
      <div data-testid="update-taken-over" role="status" className="flex items-center gap-2 rounded border border-sky-300 bg-sky-50 p-2 text-sm">
        <span>A newer version took over in another tab. This page keeps working on the old one until you reload it.</span>
        <button data-testid="update-taken-over-reload" className="btn" onClick={() => shell.reloadIntoNewVersion()}>
          Reload
        </button>
      </div>
    );
  if (!updateReady) return null;
  return (
    <div data-testid="update-banner" role="status" className="flex items-center gap-2 rounded border border-sky-300 bg-sky-50 p-2 text-sm">
      <span>A new version is ready.</span>
      <button data-testid="update-reload" className="btn" onClick={() => shell.acceptUpdate()}>
        Reload
      </button>
    </div>
  );
}

/** A short line for the header: whether this browser keeps a copy of the app for use without a network. */
export function OfflineStatus() {
  const { offline } = useShellState();
  if (offline !== 'ready') return null;
  return (
    <span data-testid="offline-ready" className="text-xs text-slate-500">
      Works offline
    </span>
  );
}

/**
 * What the Content-Security-Policy refuses, said before and after the browser does: a configured
 * model host the policy doesn't allow (checked against the page's own policy before any download
 * starts, rather than a bare network error later), and the violations the browser reported.
 */
export function PolicyNotices() {
  const shell = AppShellService.use();
  const { violations } = useShellState();
  const hubHost = useAppStore((s) => s.hubHost);
  const policy = policyFromDocument(document);
  const hostAllowed = isAllowedHost(policy, hubHost);
  return (
    <>
      {!hostAllowed && policy !== null && (
        <div data-testid="csp-blocked-host" role="alert" className="rounded border border-amber-300 bg-amber-50 p-2 text-sm">
          The model host <span className="font-mono">{hubHost}</span> is not one this app may connect to: its Content-Security-Policy allows
          only <span className="font-mono">{allowedConnectHosts(policy).join(' ')}</span>, so nothing is downloaded from it. Use the built-in
          models, a host in that list, or a build of the app made with <span className="font-mono">ZSP_MODEL_HOSTS</span> naming this host.
        </div>
      )}
      {violations.length > 0 && (
        <div data-testid="csp-violation" role="alert" className="flex items-start gap-2 rounded border border-red-300 bg-red-50 p-2 text-sm">
          <div className="min-w-0 flex-1">
            <p>This app&apos;s Content-Security-Policy stopped something it does not allow; nothing was sent or run:</p>
            <ul className="list-disc pl-5 text-xs">
              {violations.map((violation) => (
                <li key={`${violation.directive} ${violation.blocked}`} data-testid="csp-violation-item" data-directive={violation.directive} className="break-all">
                  {violation.directive}: {violation.blocked}
                </li>
              ))}
            </ul>
          </div>
          <button data-testid="csp-violation-dismiss" className="btn text-xs" onClick={() => shell.dismissViolations()}>
            Dismiss
          </button>
        </div>
      )}
    </>
  );
}

function isAllowedHost(policy: string | null, host: string): boolean {
  try {
    return policyAllowsConnect(policy, new URL(host), location.origin);
  } catch {
    // Not a URL: the model panel explains bad hosts itself.
    return true;
  }
}
