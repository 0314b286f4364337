/** The workspace feature's public API: other features and src/app import only from here. */
export type { WorkspaceSettings } from './client/workspaceDb';
export { workspaceItemsOf } from './client/workspaceItems';
export type { WorkspaceItem } from './client/workspaceItems';
export { WorkspaceManager } from './client/workspaceSync';
export { ExportPanel } from './ui/ExportPanel';
export { WorkspacePanel } from './ui/WorkspacePanel';
export { WorkspaceService } from './ui/workspaceServices';
export { downloadBlob, exportFileStem } from './client/download';
