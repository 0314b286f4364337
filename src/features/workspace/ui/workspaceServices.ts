import { createServiceContext } from '../../../ui/serviceContext';
import type { WorkspaceManager } from '../client/workspaceSync';

/** Named workspaces in IndexedDB (create, switch, rename, delete, clear), created by src/app at start-up. */
export const WorkspaceService = createServiceContext<WorkspaceManager>('WorkspaceService');
