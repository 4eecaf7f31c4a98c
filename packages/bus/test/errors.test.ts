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
});
