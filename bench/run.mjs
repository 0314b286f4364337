// Entry point of `npm run bench`: runs bench/node/main.ts through Vite's module runner, so the
// TypeScript needs no extra tool (this Node has no --experimental-strip-types).
import { runnerImport } from 'vite';

await runnerImport(new URL('./node/main.ts', import.meta.url).pathname, { configFile: false, logLevel: 'warn' });
