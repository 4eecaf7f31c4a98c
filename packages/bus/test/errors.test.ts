import { describe, expect, it } from 'vitest';
import { classifyFailure, PoisonMessageError, TransientError } from '../src/errors.ts';

describe('classifyFailure', () => {
  it('recognises Prisma driver-adapter wrappers around PostgreSQL outages', () => {
    const err = Object.assign(new Error('Database error'), {
      code: 'P2039',
      meta: { driverAdapterError: { name: 'DriverAdapterError', cause: { originalCode: '57P01', kind: 'postgres', code: '57P01' } } },
    });
    expect(classifyFailure(err)).toBe('transient');
  });
  it('recognises socket errors in the cause chain and Prisma connection codes', () => {
    expect(classifyFailure(new Error('x', { cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }) }))).toBe('transient');
    expect(classifyFailure(Object.assign(new Error('pool'), { code: 'P2024' }))).toBe('transient');
    expect(classifyFailure(Object.assign(new Error('tx start'), { code: 'P2028' }))).toBe('transient');
  });
  it('recognises node-postgres losing its connection (a bare Error, no code) by its exact message', () => {
    // what a statement in flight gets when PostgreSQL is killed (seen in test/restarts)
    expect(classifyFailure(new Error('Connection terminated unexpectedly'))).toBe('transient');
    expect(classifyFailure(new Error('timeout exceeded when trying to connect'))).toBe('transient');
    expect(classifyFailure(new Error('wrapped', { cause: new Error('Client has encountered a connection error and is not queryable') }))).toBe('transient');
    // only pg's own bare errors: not a subclass, not one with a code, not a longer message
    expect(classifyFailure(new TypeError('Connection terminated unexpectedly'))).toBe('unknown');
    expect(classifyFailure(Object.assign(new Error('Connection terminated'), { code: 'X1' }))).toBe('unknown');
    expect(classifyFailure(new Error('Connection terminated unexpectedly by a bug'))).toBe('unknown');
  });
  it('recognises kafkajs connection errors, but not non-retriable protocol errors', () => {
    expect(classifyFailure(Object.assign(new Error('x'), { name: 'KafkaJSConnectionError' }))).toBe('transient');
    expect(classifyFailure(Object.assign(new Error('x'), { name: 'KafkaJSProtocolError', retriable: false }))).toBe('unknown');
    expect(classifyFailure(Object.assign(new Error('x'), { name: 'KafkaJSProtocolError', retriable: true }))).toBe('transient');
  });
  it('honours the explicit classes and leaves the rest unknown', () => {
    expect(classifyFailure(new PoisonMessageError('bad', 'bad message'))).toBe('poison');
    expect(classifyFailure(new TransientError('later'))).toBe('transient');
    expect(classifyFailure(new Error('a bug'))).toBe('unknown');
    expect(classifyFailure(Object.assign(new Error('unique'), { code: 'P2002' }))).toBe('unknown');
  });
  it('classifies data the database refuses as poison, by SQLSTATE class, Prisma code or adapter kind', () => {
    const wrapped = (originalCode: string, kind = 'postgres') =>
      Object.assign(new Error('Database error'), { code: 'P2010', meta: { driverAdapterError: { name: 'DriverAdapterError', cause: { originalCode, kind, code: originalCode } } } });
    expect(classifyFailure(wrapped('22021'))).toBe('poison'); // NUL: invalid byte sequence for UTF8
    expect(classifyFailure(wrapped('22008'))).toBe('poison'); // date/time field value out of range
    expect(classifyFailure(wrapped('22P05'))).toBe('poison'); // untranslatable character (lone surrogate in jsonb)
    expect(classifyFailure(wrapped('54001'))).toBe('poison'); // stack depth limit exceeded (deep JSON)
    expect(classifyFailure(wrapped('22001', 'LengthMismatch'))).toBe('poison');
    expect(classifyFailure(Object.assign(new Error('too long'), { code: 'P2000' }))).toBe('poison');
    expect(classifyFailure(wrapped('23505', 'UniqueConstraintViolation'))).toBe('unknown');
    expect(classifyFailure(wrapped('23503', 'ForeignKeyConstraintViolation'))).toBe('unknown');
    expect(classifyFailure(wrapped('57P01'))).toBe('transient');
  });
  it('classifies a record Kafka refuses for its size as poison, also inside kafkajs wrappers', () => {
    const tooLarge = Object.assign(new Error('too large'), { name: 'KafkaJSProtocolError', type: 'MESSAGE_TOO_LARGE', code: 10, retriable: false });
    expect(classifyFailure(tooLarge)).toBe('poison');
    expect(classifyFailure(Object.assign(new Error('wrapped', { cause: tooLarge }), { name: 'KafkaJSNonRetriableError' }))).toBe('poison');
    const leader = Object.assign(new Error('leader'), { name: 'KafkaJSProtocolError', type: 'NOT_LEADER_FOR_PARTITION', code: 6, retriable: true });
    expect(classifyFailure(leader)).toBe('transient');
  });
  it('classifies a RangeError (invalid date, deep recursion) as poison, but not an error merely named so', () => {
    expect(classifyFailure(new RangeError('Invalid time value'))).toBe('poison');
    expect(classifyFailure(Object.assign(new Error('x'), { name: 'RangeError' }))).toBe('unknown');
  });
});
