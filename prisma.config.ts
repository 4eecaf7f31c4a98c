import { defineConfig } from 'prisma/config';

// The datasource URL for Prisma's CLI. The hub itself reads DATABASE_URL through
// @hub/config; the default is the local PostgreSQL server used by `npm start`.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: {
    url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/notification_hub',
  },
});
