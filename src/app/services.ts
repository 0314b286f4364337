import { createContext, useContext } from 'react';
import type { ClassificationController } from '../features/clip/client/classificationController';

export interface AppServices {
  controller: ClassificationController;
}

export const AppServicesContext = createContext<AppServices | null>(null);

export function useAppServices(): AppServices {
  const services = useContext(AppServicesContext);
  if (!services) throw new Error('AppServicesContext is missing');
  return services;
}
