import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

export default defineConfig({
  // The demo imports the package by its public names; in dev they resolve to the sources.
  resolve: {
    alias: [
      { find: /^jobrail$/, replacement: src('index.ts') },
      { find: /^jobrail\/worker$/, replacement: src('worker.ts') },
      { find: /^jobrail\/dashboard$/, replacement: src('dashboard/index.ts') },
      { find: /^jobrail\/sw$/, replacement: src('sw.ts') },
      { find: /^jobrail\/react$/, replacement: src('react.ts') },
      { find: /^jobrail\/sqlite$/, replacement: src('sqlite.ts') },
    ],
  },
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true },
  worker: { format: 'es' },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    setupFiles: ['test/setup.ts'],
    // A guard against hangs, not a speed target: the bulk tests (1,000+ jobs in fake-indexeddb)
    // take over 5 s on a loaded 2-core machine.
    testTimeout: 20_000,
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      // Browser-only parts are covered by the Playwright suite in e2e/.
      exclude: ['src/worker.ts', 'src/worker-pool.ts', 'src/dashboard/**', 'src/protocol.ts'],
      reporter: ['text', 'json-summary'],
    },
  },
});
