import { createServiceContext } from '../../../ui/serviceContext';
import type { ClassificationController } from '../client/classificationController';
import type { LiveCamera } from '../client/liveCamera';

/** The image task's controller (batch pause/resume/cancel), created by src/app at start-up. */
export const ImageControllerService = createServiceContext<ClassificationController>('ImageControllerService');

/** The live camera (one for the app, on the grid's CLIP worker), created by src/app at start-up. */
export const LiveCameraService = createServiceContext<LiveCamera>('LiveCameraService');
