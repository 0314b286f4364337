/** The app shell's public API: service worker and update banner, offline state, policy notices. */
export { AppShell } from './client/appShell';
export { OfflineStatus, PolicyNotices, UpdateBanner } from './ui/ShellNotices';
export { AppShellService } from './ui/shellServices';
