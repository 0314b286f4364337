/**
 * Import boundaries (run by `npm run lint`). Layers point down:
 *   src/app → src/features → src/ui, src/store → src/lib
 * Each rule's comment says why it exists; `npx depcruise src` explains any violation.
 */
const FEATURE_PUBLIC_ENTRY = '^src/features/[^/]+/index\\.ts$';
const FEATURE_SHARED_ENTRY = '^src/features/[^/]+/shared/index\\.ts$';
const FEATURE_WORKER_ENTRY = '^src/features/[^/]+/worker/index\\.ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'nothing-imports-app',
      comment: 'src/app composes the features; a module below it that imported it would form a cycle.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/app/' },
      to: { path: '^src/app/' },
    },
    {
      name: 'lib-is-pure',
      comment: 'src/lib is pure maths and parsing: it imports no feature, no store, no shared UI and no React.',
      severity: 'error',
      from: { path: '^src/lib/' },
      to: { pathNot: ['^src/lib/', '^node_modules/'] },
    },
    {
      name: 'lib-no-ui-packages',
      comment: 'src/lib runs in workers and in Node tests too: no React, zustand or DOM-only packages.',
      severity: 'error',
      from: { path: '^src/lib/' },
      to: { path: '^node_modules/(react|react-dom|zustand|@tanstack)/' },
    },
    {
      name: 'store-imports-no-feature',
      comment: 'The store is below the features: what it holds is declared in src/lib or in the store itself.',
      severity: 'error',
      from: { path: '^src/store/' },
      to: { path: '^src/(features|ui|app)/' },
    },
    {
      name: 'shared-ui-imports-no-feature',
      comment: 'src/ui holds what several features use; a feature import would make it a feature.',
      severity: 'error',
      from: { path: '^src/ui/' },
      to: { path: '^src/(features|app)/' },
    },
    {
      name: 'features-through-public-entries',
      comment:
        'Features import each other only through a public index.ts (or the shared/ and worker/ entries that worker code uses), so each feature can change inside without breaking others.',
      severity: 'error',
      from: { path: '^src/features/([^/]+)/' },
      to: {
        path: '^src/features/',
        pathNot: ['^src/features/$1/', FEATURE_PUBLIC_ENTRY, FEATURE_SHARED_ENTRY, FEATURE_WORKER_ENTRY],
      },
    },
    {
      name: 'app-through-public-entries',
      comment: 'src/app composes features through their public index.ts only.',
      severity: 'error',
      from: { path: '^src/app/' },
      to: { path: '^src/features/', pathNot: [FEATURE_PUBLIC_ENTRY] },
    },
    {
      name: 'worker-code-imports-no-ui',
      comment:
        'Code that runs in a Web Worker (worker/ and shared/ folders) has no DOM: it imports only worker/, shared/ and src/lib code, never UI, client code, the store or React.',
      severity: 'error',
      from: { path: '^src/features/[^/]+/(worker|shared)/' },
      to: {
        pathNot: ['^src/features/[^/]+/(worker|shared)/', '^src/lib/', '^node_modules/'],
      },
    },
    {
      name: 'worker-code-no-react',
      comment: 'Workers have no DOM: React, react-dom and zustand stay on the main thread.',
      severity: 'error',
      from: { path: '^src/features/[^/]+/(worker|shared)/' },
      to: { path: '^node_modules/(react|react-dom|zustand|@tanstack)/' },
    },
    {
      name: 'main-thread-code-imports-no-worker-internals',
      comment: 'The main thread talks to a worker through its protocol (shared/) and bridge (client/), never by importing worker code.',
      severity: 'error',
      from: { path: '^src/(features/[^/]+/(client|ui)|app|ui|store)/' },
      to: { path: '^src/features/[^/]+/worker/' },
    },
    {
      name: 'no-circular',
      comment: 'Cycles make start-up order fragile and hide layering mistakes (type-only cycles, like the zustand slices naming AppState, are erased at build time and allowed).',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'no-tests-from-app-code',
      comment: 'Test files are not part of the app.',
      severity: 'error',
      from: { path: '^src/', pathNot: '\\.test\\.ts$' },
      to: { path: '\\.test\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.app.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
