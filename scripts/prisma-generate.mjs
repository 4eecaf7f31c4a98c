// Generates the Prisma client (packages/db/src/generated) during `npm install`.
// `prisma generate` only needs the schema-engine binary to exist, not to run; on a
// machine that cannot download it we point PRISMA_SCHEMA_ENGINE_BINARY at the node
// binary so generation works offline. Migrations never use the engine here: see
// packages/db/src/migrate.ts.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let prismaCli;
try {
  prismaCli = require.resolve('prisma/build/index.js');
} catch {
  console.log('prisma CLI not installed (production install?): skipping client generation');
  process.exit(0);
}
const env = { ...process.env };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY || !existsSync(env.PRISMA_SCHEMA_ENGINE_BINARY)) {
  env.PRISMA_SCHEMA_ENGINE_BINARY = process.execPath;
}
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
const result = spawnSync(process.execPath, [prismaCli, 'generate'], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
