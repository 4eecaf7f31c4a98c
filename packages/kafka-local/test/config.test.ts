import { describe, expect, it } from 'vitest';
import { randomClusterId } from '../src/cluster-id.ts';
import { offsetsPartitionOf, probeGroupIds } from '../src/group-probe.ts';
import { jvmArgs } from '../src/java.ts';
import { freePorts } from '../src/ports.ts';
import { log4jProperties, renderProperties, serverProperties } from '../src/server-config.ts';

const layout = { nodeId: 1, host: '127.0.0.1', port: 9092, controllerPort: 9093, kraftDir: '/data/kraft' };

describe('server.properties', () => {
  it('is a single-node combined KRaft broker on 127.0.0.1 with replication factor 1', () => {
    const p = serverProperties(layout);
    expect(p['process.roles']).toBe('broker,controller');
    expect(p['controller.quorum.voters']).toBe('1@127.0.0.1:9093');
    expect(p.listeners).toBe('PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093');
    expect(p['offsets.topic.replication.factor']).toBe('1');
    expect(p['transaction.state.log.min.isr']).toBe('1');
    expect(p['group.initial.rebalance.delay.ms']).toBe('0');
    expect(p['num.partitions']).toBe('3');
    expect(p['auto.create.topics.enable']).toBe('false');
  });

  it('takes static voters and lets extraProps override defaults', () => {
    const p = serverProperties({ ...layout, quorumVoters: '1@h:1,2@h:2', extraProps: { 'num.partitions': '6', 'x.y': 'z' } });
    expect(p['controller.quorum.voters']).toBe('1@h:1,2@h:2');
    expect(p['num.partitions']).toBe('6');
    expect(renderProperties(p)).toContain('\nx.y=z\n');
  });

  it('logs to a file in the log dir at WARN', () => {
    const text = log4jProperties('/data/logs');
    expect(text).toContain('log4j.rootLogger=WARN, file');
    expect(text).toContain('log4j.appender.file.File=/data/logs/server.log');
  });
});

describe('helpers', () => {
  it('runs the JVM with a modest G1 heap and the libs wildcard class path', () => {
    const args = jvmArgs({ libsDir: '/c/libs', heapMb: 512, log4jFile: '/d/log4j.properties', logDir: '/d/logs' }, 'kafka.Kafka', ['/d/server.properties']);
    expect(args).toContain('-Xmx512m');
    expect(args).toContain('-XX:+UseG1GC');
    expect(args.slice(-4)).toEqual(['-cp', '/c/libs/*', 'kafka.Kafka', '/d/server.properties']);
  });

  it('makes cluster ids like kafka-storage random-uuid, never starting with "-"', () => {
    for (let i = 0; i < 2000; i++) {
      const id = randomClusterId();
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    }
  });

  it('places groups on __consumer_offsets partitions as Kafka does (Java String.hashCode)', () => {
    expect(offsetsPartitionOf('test', 50)).toBe(3556498 % 50);
    const ids = probeGroupIds(50);
    expect(new Set(ids.map((id) => offsetsPartitionOf(id, 50))).size).toBe(50);
  });

  it('hands out distinct free ports', async () => {
    const ports = await freePorts(6);
    expect(new Set(ports).size).toBe(6);
  });
});
