export { Bus, decodeHeaders, type BusOptions, type ConsumerLag } from './bus.ts';
export { PoisonMessageError, TransientError, classifyFailure, describeError, type FailureKind } from './errors.ts';
export { ensureHubTopics, type EnsureTopicsOptions } from './topics-admin.ts';
export type { ConsumedMessage, ConsumerSpec, RunningConsumer, OutgoingMessage, Headers } from './types.ts';
export { forEachInGroups } from './groups.ts';
export { listDeadLetters, replayDeadLetters, replayGroupId, type DeadLetter, type DeadLetterOptions, type DeadLetterRun } from './dlq.ts';
export { ConsumerLagReader, type GroupLag, type GroupTopic, type PartitionLag } from './consumer-lag.ts';
