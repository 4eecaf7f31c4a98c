import path from 'node:path';

/** packages/kafka-local */
export const packageRoot = path.resolve(import.meta.dirname, '..');

/** The monorepo root (its .gitignore ignores .cache/). */
export const repoRoot = path.resolve(packageRoot, '../..');

/** The pom.xml that lists the broker's classpath. */
export const pomFile = path.join(packageRoot, 'maven', 'pom.xml');
