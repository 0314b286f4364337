import { useSyncExternalStore } from 'react';
import { createServiceContext } from '../../../ui/serviceContext';
import type { AppShell, ShellState } from '../client/appShell';

/** The app shell (service worker, policy reports), created by src/app at start-up. */
export const AppShellService = createServiceContext<AppShell>('AppShellService');

export function useShellState(): ShellState {
  const shell = AppShellService.use();
  return useSyncExternalStore(shell.subscribe, shell.getSnapshot);
}
