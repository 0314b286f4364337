import { useEffect, useState, type FormEvent } from 'react';
import { WorkspaceService } from './workspaceServices';
import { formatBytes } from '../../../lib/format';
import { useAppStore } from '../../../store';
import type { StorageStatus } from '../../../store/workspaceSlice';
import { MAX_WORKSPACE_NAME_LENGTH } from '../client/workspaceSync';

function statusText(status: StorageStatus): string {
  switch (status.state) {
    case 'starting':
      return 'Opening your saved workspaces…';
    case 'saved':
      return 'Saved in this browser: your images, sounds, scores and decisions survive a reload.';
    case 'unavailable':
      return `This browser won't let the app store anything (private browsing, or storage blocked): you can keep working, but this workspace lives in memory only and is gone when you close or reload the page. (${status.message})`;
    case 'quota-exceeded':
      return `Storage is full: ${status.savedItems} of ${status.totalItems} ${status.totalItems === 1 ? 'item is' : 'items are'} saved in this browser${
        status.unsavedItems > 0 ? `, and the latest changes to ${status.unsavedItems} ${status.unsavedItems === 1 ? 'item live' : 'items live'} in memory only (lost on reload)` : ''
      }. Everything saved before is still stored. Make room (delete a workspace, clear storage, or free disk space) and retry, or export the project file to keep the rest.`;
    case 'write-failed':
      return `Your latest changes could not be saved (${status.message}); they are kept in memory only. Everything saved before is still stored.`;
    case 'blocked':
      return 'Waiting for another tab of this app to let go of its storage (it runs an older version): close or reload that tab. Until then this workspace lives in memory only.';
    case 'outdated':
      return `A newer version of this app was opened in another tab and upgraded the storage, so this tab can no longer save. Reload this page to continue with the new version.${
        status.unsavedItems > 0
          ? ` Changes to ${status.unsavedItems} ${status.unsavedItems === 1 ? 'item' : 'items'} made here are not saved: export the project file first to keep them.`
          : ''
      } Everything saved before is still stored.`;
  }
}

type Confirming = 'delete' | 'clear' | null;

/** Named workspaces (create, switch, rename, delete), what they take on disk, and a way to clear it all. */
export function WorkspacePanel() {
  const manager = WorkspaceService.use();
  const workspaces = useAppStore((s) => s.workspaces);
  const activeId = useAppStore((s) => s.activeWorkspaceId);
  const status = useAppStore((s) => s.storageStatus);
  const usage = useAppStore((s) => s.storageUsage);
  const pending = useAppStore((s) => s.savePending);
  const unreadable = useAppStore((s) => s.unreadableRecords);
  const [renaming, setRenaming] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<Confirming>(null);
  const [busy, setBusy] = useState(false);
  // Outdated: every save fails until a reload, so offer nothing that would write.
  const stored = status.state !== 'unavailable' && status.state !== 'starting' && status.state !== 'blocked' && status.state !== 'outdated';
  const active = workspaces.find((workspace) => workspace.id === activeId);

  useEffect(() => {
    void manager.refreshUsage();
  }, [manager]);

  const setStorageStatus = useAppStore((s) => s.setStorageStatus);
  const run = (action: () => Promise<void>) => {
    setBusy(true);
    void action()
      .catch((error: unknown) => setStorageStatus({ state: 'write-failed', message: error instanceof Error ? error.message : String(error) }))
      .finally(() => setBusy(false));
  };
  const submitRename = (event: FormEvent) => {
    event.preventDefault();
    if (activeId && renaming !== null) run(() => manager.renameWorkspace(activeId, renaming));
    setRenaming(null);
  };
  const warn =
    status.state === 'unavailable' ||
    status.state === 'quota-exceeded' ||
    status.state === 'write-failed' ||
    status.state === 'blocked' ||
    status.state === 'outdated';

  return (
    <section className="space-y-2 rounded-lg border border-slate-200 bg-white p-3 text-sm shadow-sm" aria-label="Workspace">
      <div className="flex items-center gap-2">
        <label className="font-medium" htmlFor="workspace-select">
          Workspace
        </label>
        <select
          id="workspace-select"
          data-testid="workspace-select"
          className="input min-w-0 flex-1"
          value={activeId ?? ''}
          disabled={!stored || busy}
          onChange={(e) => run(() => manager.switchWorkspace(e.target.value))}
        >
          {workspaces.map((workspace) => (
            <option key={workspace.id} value={workspace.id}>
              {workspace.name}
            </option>
          ))}
        </select>
      </div>
      {renaming !== null ? (
        <form className="flex gap-1" onSubmit={submitRename}>
          <input
            data-testid="workspace-name-input"
            aria-label="Workspace name"
            className="input min-w-0 flex-1"
            value={renaming}
            maxLength={MAX_WORKSPACE_NAME_LENGTH}
            autoFocus
            onChange={(e) => setRenaming(e.target.value)}
          />
          <button data-testid="workspace-rename-save" className="btn" type="submit" disabled={renaming.trim() === ''}>
            Save
          </button>
          <button className="btn" type="button" onClick={() => setRenaming(null)}>
            Cancel
          </button>
        </form>
      ) : (
        <div className="flex flex-wrap gap-1">
          <button data-testid="workspace-new" className="btn" disabled={!stored || busy} onClick={() => run(() => manager.createWorkspace())}>
            New
          </button>
          <button data-testid="workspace-rename" className="btn" disabled={!stored || busy || !active} onClick={() => setRenaming(active?.name ?? '')}>
            Rename
          </button>
          <button data-testid="workspace-delete" className="btn" disabled={!stored || busy} onClick={() => setConfirming('delete')}>
            Delete
          </button>
        </div>
      )}
      {confirming !== null && (
        <div role="alertdialog" aria-label="Confirm" className="space-y-1 rounded border border-red-300 bg-red-50 p-2">
          <p>
            {confirming === 'delete'
              ? `Delete “${active?.name ?? 'this workspace'}” and everything stored in it?`
              : 'Delete every stored workspace (images, sounds, scores, decisions) and the stored image embeddings?'}{' '}
            This can't be undone.
          </p>
          <div className="flex gap-1">
            <button
              data-testid={confirming === 'delete' ? 'workspace-delete-confirm' : 'storage-clear-confirm'}
              className="btn border-red-400 text-red-800"
              onClick={() => {
                const action = confirming;
                setConfirming(null);
                run(() => (action === 'delete' && activeId ? manager.deleteWorkspace(activeId) : manager.clearStorage()));
              }}
            >
              {confirming === 'delete' ? 'Delete workspace' : 'Clear storage'}
            </button>
            <button data-testid="confirm-cancel" className="btn" onClick={() => setConfirming(null)}>
              Keep it
            </button>
          </div>
        </div>
      )}
      <p
        data-testid="storage-used"
        data-bytes={usage?.originBytes ?? ''}
        data-workspace-bytes={usage?.workspaceMediaBytes ?? 0}
        data-saved-items={usage?.savedItems ?? 0}
        className="text-xs text-slate-600"
      >
        {usage?.originBytes != null
          ? `Stored by this site: ${formatBytes(usage.originBytes)}${usage.quotaBytes ? ` of ${formatBytes(usage.quotaBytes)} available` : ''}. `
          : ''}
        This workspace: {usage?.savedItems ?? 0} saved items, {formatBytes(usage?.workspaceMediaBytes ?? 0)} of media.
      </p>
      <p
        data-testid="storage-status"
        data-state={status.state}
        data-pending={String(pending)}
        role={warn ? 'alert' : 'status'}
        className={`text-xs ${warn ? 'rounded border border-amber-300 bg-amber-50 p-2 text-amber-900' : 'text-slate-500'}`}
      >
        {statusText(status)}
      </p>
      {(status.state === 'quota-exceeded' || status.state === 'write-failed') && (
        <button data-testid="storage-retry" className="btn text-xs" disabled={busy} onClick={() => run(() => manager.retrySave())}>
          Retry saving
        </button>
      )}
      {status.state === 'outdated' && (
        <button data-testid="storage-reload" className="btn text-xs" onClick={() => location.reload()}>
          Reload this page
        </button>
      )}
      {unreadable > 0 && (
        <p data-testid="storage-unreadable" data-count={unreadable} role="alert" className="rounded border border-amber-300 bg-amber-50 p-2 text-xs text-amber-900">
          {unreadable === 1 ? '1 stored record' : `${unreadable} stored records`} could not be read (saved by another version of the app, or
          damaged) and {unreadable === 1 ? 'was' : 'were'} left out.
        </p>
      )}
      <button data-testid="storage-clear" className="btn text-xs" disabled={busy} onClick={() => setConfirming('clear')}>
        Clear storage…
      </button>
    </section>
  );
}
