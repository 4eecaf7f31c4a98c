import { randomBytes } from 'node:crypto';

/**
 * A KRaft cluster id as `kafka-storage random-uuid` prints it: 16 random bytes, base64url
 * without padding. Like Kafka's Uuid.randomUuid(), never one starting with '-' (a command
 * line would read it as an option).
 */
export function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
