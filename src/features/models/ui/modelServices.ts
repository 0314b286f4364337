import type { Task } from '../../../lib/tasks';
import { createServiceContext } from '../../../ui/serviceContext';
import type { ModelChooser } from '../client/taskModelLoader';

/** Each task's model loader (what the model panel and project import talk to), created by src/app at start-up. */
export const ModelChooserService = createServiceContext<Record<Task, ModelChooser>>('ModelChooserService');
