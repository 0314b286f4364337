import { createContext, useContext } from 'react';
import type { AudioController } from '../features/audio/client/audioController';
import type { MicrophoneRecorder } from '../features/audio/client/microphoneRecorder';
import type { ClassificationController } from '../features/image/client/classificationController';
import type { ModelChooser } from '../features/models/client/taskModelLoader';
import type { Task } from '../features/models/shared/catalog';
import type { WorkspaceManager } from '../features/workspace/client/workspaceSync';

export interface AppServices {
  controller: ClassificationController;
  audioController: AudioController;
  recorder: MicrophoneRecorder;
  workspaces: WorkspaceManager;
  /** The controller that loads each task's model (what the model panel talks to). */
  modelChoosers: Record<Task, ModelChooser>;
}

export const AppServicesContext = createContext<AppServices | null>(null);

export function useAppServices(): AppServices {
  const services = useContext(AppServicesContext);
  if (!services) throw new Error('AppServicesContext is missing');
  return services;
}
