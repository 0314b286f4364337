/**
 * The model worker's own record of what its Content-Security-Policy refused. The page listens on
 * its document; a worker's fetches are reported on the worker's global scope (checked in
 * Chromium: a connect-src refusal of a worker's fetch, a redirect hop included, fires
 * `securitypolicyviolation` on the worker's `self`, naming the request's URL, after the fetch
 * has already rejected).
 */
import { allowedConnectHosts } from '../../../lib/contentSecurityPolicy';
import type { PolicyRefusal, PolicyRefusals } from '../shared/hostFetch';

/**
 * How long a failed request waits for the browser's violation report before it counts as a plain
 * network failure. Chromium rejects the fetch first and reports a few milliseconds later (a task
 * later); a second leaves room for a busy worker, and only delays the message of a dead host.
 */
export const POLICY_REPORT_WAIT_MS = 1000;
/** Recent refusals kept to match against failed requests; a load makes a handful of requests at a time. */
const KEPT_VIOLATIONS = 32;

/** The fields of a SecurityPolicyViolationEvent this reads. */
export type ViolationReport = Pick<SecurityPolicyViolationEvent, 'blockedURI' | 'effectiveDirective' | 'originalPolicy'>;

interface Seen extends PolicyRefusal {
  at: number;
}

export class PolicyViolationLog implements PolicyRefusals {
  private readonly seen: Seen[] = [];
  private readonly waiting = new Set<() => void>();

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly waitMs: number = POLICY_REPORT_WAIT_MS,
  ) {}

  /** Listens on a worker's global scope, once for the worker's life. */
  static listeningOn(scope: Pick<EventTarget, 'addEventListener'>): PolicyViolationLog {
    const log = new PolicyViolationLog();
    scope.addEventListener('securitypolicyviolation', (event) => {
      if (event instanceof SecurityPolicyViolationEvent) log.record(event);
    });
    return log;
  }

  record(report: ViolationReport): void {
    if (report.effectiveDirective !== 'connect-src') return;
    this.seen.push({ blockedUrl: report.blockedURI, allowedHosts: allowedConnectHosts(report.originalPolicy), at: this.now() });
    if (this.seen.length > KEPT_VIOLATIONS) this.seen.shift();
    for (const wake of [...this.waiting]) wake();
  }

  refusalOf(url: string, startedAt: number): Promise<PolicyRefusal | null> {
    const find = (): PolicyRefusal | null => {
      const found = this.seen.find((seen) => seen.at >= startedAt && reportNames(seen.blockedUrl, url));
      return found ? { blockedUrl: found.blockedUrl, allowedHosts: found.allowedHosts } : null;
    };
    const found = find();
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      const finish = (refusal: PolicyRefusal | null) => {
        clearTimeout(timer);
        this.waiting.delete(wake);
        resolve(refusal);
      };
      const wake = () => {
        const refusal = find();
        if (refusal) finish(refusal);
      };
      const timer = setTimeout(() => finish(null), this.waitMs);
      this.waiting.add(wake);
    });
  }
}

/** Whether a report's blocked URL is this request: the same URL, or (reports may strip it) its origin. */
function reportNames(blocked: string, url: string): boolean {
  try {
    const requested = new URL(url);
    const reported = new URL(blocked);
    return reported.href === requested.href || (reported.origin === requested.origin && (reported.pathname === '/' || reported.pathname === ''));
  } catch {
    return false;
  }
}
