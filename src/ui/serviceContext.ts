import { createContext, createElement, useContext, type ReactNode } from 'react';

/**
 * A React context for one long-lived object (a controller, a recorder, the workspace manager)
 * that `src/app` creates at start-up and a feature's components use. Each feature declares the
 * services it needs, so nothing below `src/app` has to know what the whole app is made of.
 */
export interface ServiceContext<T> {
  Provider: (props: { value: T; children?: ReactNode }) => ReactNode;
  /** The service, or an error naming the missing provider (a wiring mistake, not a user error). */
  use: () => T;
}

export function createServiceContext<T>(name: string): ServiceContext<T> {
  const context = createContext<T | null>(null);
  context.displayName = name;
  return {
    Provider: ({ value, children }) => createElement(context.Provider, { value }, children),
    use: () => {
      const service = useContext(context);
      if (service === null) throw new Error(`${name} is not provided (see src/app/main.tsx)`);
      return service;
    },
  };
}
