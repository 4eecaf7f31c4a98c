export { PrismaClient, Prisma } from './generated/client.ts';
export type * from './generated/client.ts';
export * from './generated/enums.ts';
export { createPrisma, type PrismaOptions } from './client.ts';
export { migrate, ensureDatabase, MigrationError, type MigrateOptions, type MigrateResult } from './migrate.ts';
export { createDatabaseFromTemplate, dropDatabase } from './admin.ts';
export { recordOptIn, recordOptOut, type OptChange } from './opt-out.ts';
export { listenToChannel, type ChannelListener, type ListenOptions } from './listen.ts';
export { Batcher, type BatcherOptions } from './batcher.ts';
