import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure logic, no I/O, runs in parallel) and `integration`
// (real Kafka + PostgreSQL, started by the global setup when KAFKA_BROKERS is unset).
// The machine has 2 cores that Kafka and PostgreSQL share with the tests, so the
// integration project runs one file at a time.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{packages,services}/*/test/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['{packages,services}/*/test/**/*.int.test.ts', 'test/**/*.int.test.ts'],
          environment: 'node',
          globalSetup: ['packages/testkit/src/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
