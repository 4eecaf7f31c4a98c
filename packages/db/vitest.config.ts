import { defineConfig } from 'vitest/config';

// @hub/db on its own: `npx vitest run --config packages/db/vitest.config.ts`. Needs only
// PostgreSQL (DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/notification_hub:
// each test file creates and drops its own databases on that server).
export default defineConfig({
  root: import.meta.dirname,
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
