export { createTestDatabase, createTestPrisma, databaseUrlFor, adminUrl, defaultDatabaseUrl } from './database.ts';
export { freePort } from './ports.ts';
export { waitFor } from './wait.ts';
export { startPostgres, type LocalPostgres } from './postgres-local.ts';
