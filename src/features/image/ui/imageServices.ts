import { createServiceContext } from '../../../ui/serviceContext';
import type { ClassificationController } from '../client/classificationController';

/** The image task's controller (batch pause/resume/cancel), created by src/app at start-up. */
export const ImageControllerService = createServiceContext<ClassificationController>('ImageControllerService');
