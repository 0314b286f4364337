import { createServiceContext } from '../../../ui/serviceContext';
import type { LabService } from '../client/labService';

/** The prompt lab (grid search, experiments, heads, bias probe), created by src/app at start-up. */
export const LabServiceContext = createServiceContext<LabService>('LabServiceContext');
