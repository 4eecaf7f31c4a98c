import path from 'node:path';
import { migrate } from './migrate.ts';

const databaseUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/notification_hub';
const migrationsDir = process.env.MIGRATIONS_DIR ?? path.resolve(import.meta.dirname, '../../../prisma/migrations');
try {
  const result = await migrate({ databaseUrl, migrationsDir, log: (m) => console.log(m) });
  console.log(`migrations: ${result.applied.length} applied, ${result.alreadyApplied.length} already applied`);
} catch (err) {
  console.error(String(err));
  process.exit(1);
}
