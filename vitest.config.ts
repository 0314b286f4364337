import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    // Every test starts clean: spies restored, stubbed globals (a fresh fake indexedDB, localStorage) undone.
    restoreMocks: true,
    unstubGlobals: true,
  },
});
