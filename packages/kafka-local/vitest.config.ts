import { defineConfig } from 'vitest/config';

// This package's own suites, runnable without the repo's integration global setup:
//   npx vitest run --config packages/kafka-local/vitest.config.ts
// Each integration file starts its own broker(s); one file at a time (2 cores).
export default defineConfig({
  root: import.meta.dirname,
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          root: import.meta.dirname,
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.int.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          root: import.meta.dirname,
          include: ['test/**/*.int.test.ts'],
          environment: 'node',
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
