// Prisma's schema engine offline, through the WebAssembly build the prisma package ships
// (see wasm.ts); the prisma CLI itself needs the native engine binary, which cannot be
// downloaded here.
//   tsx packages/db/src/schema-engine/cli.ts diff --from-empty        the full DDL of the schema
//   tsx packages/db/src/schema-engine/cli.ts diff --from-migrations   what a new migration must contain
//                                             [--exit-code]           exit 2 when not empty
//   tsx packages/db/src/schema-engine/cli.ts deploy                   `prisma migrate deploy` to DATABASE_URL
// DATABASE_URL names the database (default: the local notification_hub); diff only needs a
// reachable server: --from-migrations replays the migrations in throwaway shadow databases.
import path from 'node:path';
import { diffToSchema, isEmptyMigration, prismaMigrateDeploy } from './commands.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../../..');
const [command, ...rest] = process.argv.slice(2);
const flags = new Set(rest);
const databaseUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/notification_hub';
const schemaPath = path.join(repoRoot, 'prisma/schema.prisma');
const migrationsDir = path.join(repoRoot, 'prisma/migrations');
const usage = 'usage: cli.ts diff (--from-empty | --from-migrations) [--exit-code] | cli.ts deploy';

try {
  if (command === 'deploy') {
    const applied = await prismaMigrateDeploy({ databaseUrl, schemaPath, migrationsDir });
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'no pending migrations');
    process.exit(0);
  }
  if (command !== 'diff' || flags.has('--from-empty') === flags.has('--from-migrations')) {
    console.error(usage);
    process.exit(64);
  }
  const source = flags.has('--from-empty') ? { from: 'empty' as const } : { from: 'migrations' as const, migrationsDir };
  const script = await diffToSchema({ databaseUrl, schemaPath, source });
  process.stdout.write(script.endsWith('\n') ? script : `${script}\n`);
  process.exit(flags.has('--exit-code') && !isEmptyMigration(script) ? 2 : 0);
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
