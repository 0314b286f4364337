import { Workbox } from 'workbox-window';

/** How often an open tab asks whether a new version was deployed (the browser also checks on each navigation). */
export const UPDATE_CHECK_INTERVAL_MS = 60 * 60 * 1000;
/** Distinct policy violations kept for the notice; the first ones say what is wrong. */
const MAX_VIOLATIONS_SHOWN = 5;
/**
 * Set before the one reload that makes a page cross-origin isolated once the service worker
 * controls it; cleared when the page is isolated. A page that still isn't after that reload (a
 * browser that ignores the worker's headers) is not reloaded again in this tab.
 */
const ISOLATION_RELOAD_KEY = 'zsp:reloaded-for-isolation';
/**
 * Longest wait for the save before a reload into a new version: the save resolves on success and
 * on failure, but a storage the browser keeps blocked must not leave the Reload button doing nothing.
 */
const SAVE_BEFORE_RELOAD_TIMEOUT_MS = 10_000;

export interface PolicyViolation {
  /** The directive that refused it: connect-src, script-src-elem, script-src (eval)… */
  directive: string;
  /** What was refused: a URL, or `inline` / `eval`. */
  blocked: string;
}

export type OfflineState = 'unsupported' | 'installing' | 'ready' | 'failed';

export interface ShellState {
  offline: OfflineState;
  /** A new version is installed and waits for the user's reload. */
  updateReady: boolean;
  /**
   * Another tab accepted a new version and it took this page over: this page keeps its old code
   * (and work) until the user reloads it; lazy chunks of the old version may be gone from the cache.
   */
  takenOver: boolean;
  violations: PolicyViolation[];
}

/**
 * The app shell around the features: the service worker (offline copy, isolation headers, updates
 * on the user's say) and the browser's reports of what the Content-Security-Policy refused.
 * A small external store for React (`subscribe`/`getSnapshot`).
 */
export class AppShell {
  private state: ShellState = { offline: 'unsupported', updateReady: false, takenOver: false, violations: [] };
  private readonly listeners = new Set<() => void>();
  private workbox: Workbox | null = null;
  /** This tab's Reload asked for the new version: its takeover reloads this tab, and only this one. */
  private acceptedHere = false;
  private saveBeforeReload: () => Promise<void> = () => Promise.resolve();

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): ShellState => this.state;

  start(): void {
    document.addEventListener('securitypolicyviolation', (event) => this.recordViolation(event));
    rememberIsolation();
    // Production builds only: `npm run dev` has no service worker (Vite serves modules one by one).
    if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return;
    let controlled = navigator.serviceWorker.controller !== null;
    if (controlled) reloadOnceForIsolation();
    // Not workbox-window's `controlling` event: its isUpdate says whether the page had a worker when
    // it registered, not whether this change replaces one.
    navigator.serviceWorker.addEventListener('controllerchange', () => {
      const replaced = controlled;
      controlled = true;
      // The user's own Reload: into the new version, once the workspace is saved.
      if (this.acceptedHere) void this.reloadSaved();
      // A version accepted in another tab took this page too (the worker claims every tab). Reloading
      // here could drop work not saved yet or cut a batch: the page says so and waits for the user.
      else if (replaced) this.update({ updateReady: false, takenOver: true });
      // The first version took the page (see sw.ts): once, into cross-origin isolation.
      else reloadOnceForIsolation();
    });
    const workbox = new Workbox(`${import.meta.env.BASE_URL}sw.js`, { scope: import.meta.env.BASE_URL });
    this.workbox = workbox;
    // Also for a version another tab found (workbox-window calls those "external").
    workbox.addEventListener('waiting', () => this.update({ updateReady: true }));
    workbox.addEventListener('activated', () => this.update({ offline: 'ready' }));
    this.update({ offline: controlled ? 'ready' : 'installing' });
    workbox.register().then(
      (registration) => {
        if (registration?.active && !registration.installing) this.update({ offline: 'ready' });
        setInterval(() => void this.checkForUpdate(), UPDATE_CHECK_INTERVAL_MS);
      },
      // Refused (a private window, a browser setting, the e2e suite's default): the app works, just not offline.
      () => this.update({ offline: 'failed' }),
    );
  }

  /**
   * What must be stored before this page reloads into a new version (the workspace's pending save);
   * given by src/app, so that the shell knows no feature.
   */
  setSaveBeforeReload(save: () => Promise<void>): void {
    this.saveBeforeReload = save;
  }

  /**
   * The user accepted the new version: it activates and takes the open tabs; this one saves and
   * reloads into it, the others show `takenOver`.
   */
  acceptUpdate(): void {
    if (!this.workbox) return;
    this.acceptedHere = true;
    this.workbox.messageSkipWaiting();
  }

  /** The Reload of the taken-over notice: the new version already controls the page. */
  reloadIntoNewVersion(): void {
    void this.reloadSaved();
  }

  async checkForUpdate(): Promise<void> {
    await this.workbox?.update().catch(() => undefined);
  }

  dismissViolations(): void {
    this.update({ violations: [] });
  }

  private async reloadSaved(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, SAVE_BEFORE_RELOAD_TIMEOUT_MS);
    });
    // A failed save is reported by the workspace itself (and what it kept is offered again after the reload).
    await Promise.race([this.saveBeforeReload().catch(() => undefined), timeout]);
    clearTimeout(timer);
    location.reload();
  }

  private recordViolation(event: SecurityPolicyViolationEvent): void {
    const violation = { directive: event.effectiveDirective || event.violatedDirective, blocked: event.blockedURI || 'inline' };
    const known = this.state.violations.some((seen) => seen.directive === violation.directive && seen.blocked === violation.blocked);
    if (known || this.state.violations.length >= MAX_VIOLATIONS_SHOWN) return;
    this.update({ violations: [...this.state.violations, violation] });
  }

  private update(patch: Partial<ShellState>): void {
    this.state = { ...this.state, ...patch };
    for (const listener of this.listeners) listener();
  }
}

function rememberIsolation(): void {
  if (!self.crossOriginIsolated) return;
  try {
    sessionStorage.removeItem(ISOLATION_RELOAD_KEY);
  } catch {
    // Storage refused: nothing was set either.
  }
}

/**
 * The service worker adds COOP/COEP to what it serves, but a page becomes isolated only when its
 * own document came through it: the first visit on a host without those headers reloads once.
 */
function reloadOnceForIsolation(): void {
  if (self.crossOriginIsolated) return;
  try {
    if (sessionStorage.getItem(ISOLATION_RELOAD_KEY)) return;
    sessionStorage.setItem(ISOLATION_RELOAD_KEY, '1');
  } catch {
    // Without sessionStorage a reload could repeat forever: stay single-threaded instead.
    return;
  }
  location.reload();
}
