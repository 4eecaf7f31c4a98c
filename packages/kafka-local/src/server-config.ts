import path from 'node:path';

export interface NodeLayout {
  nodeId: number;
  host: string;
  port: number;
  controllerPort: number;
  /** Kafka's data (log.dirs) */
  kraftDir: string;
  /** Static voters "id@host:port,…"; default this node alone. */
  quorumVoters?: string;
  extraProps?: Record<string, string>;
}

/**
 * server.properties for a combined broker + controller in KRaft mode, listening on one
 * host only, sized for a small shared machine. `extraProps` override any default.
 */
export function serverProperties(n: NodeLayout): Record<string, string> {
  return {
    'process.roles': 'broker,controller',
    'node.id': String(n.nodeId),
    'controller.quorum.voters': n.quorumVoters ?? `${n.nodeId}@${n.host}:${n.controllerPort}`,
    listeners: `PLAINTEXT://${n.host}:${n.port},CONTROLLER://${n.host}:${n.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${n.host}:${n.port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': n.kraftDir,
    'num.partitions': '3',
    'default.replication.factor': '1',
    'min.insync.replicas': '1',
    'offsets.topic.replication.factor': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    // 10 rather than 50 internal partitions: restarts load them (and the readiness probe
    // checks each coordinator); measured ~2x faster restarts and first group joins here.
    'offsets.topic.num.partitions': '10',
    'transaction.state.log.num.partitions': '10',
    'group.initial.rebalance.delay.ms': '0',
    // After a crash the controller refuses the node's new registration until the old
    // session expires (DUPLICATE_BROKER_REGISTRATION): 4 s rather than 9 s. Also how
    // fast a cluster notices a lost broker.
    'broker.heartbeat.interval.ms': '1000',
    'broker.session.timeout.ms': '4000',
    'auto.create.topics.enable': 'false',
    // Two cores shared with PostgreSQL and Node: few threads, small buffers.
    'num.network.threads': '2',
    'num.io.threads': '2',
    'num.recovery.threads.per.data.dir': '1',
    'background.threads': '4',
    'log.cleaner.dedupe.buffer.size': String(16 * 1024 * 1024),
    'log.retention.hours': '24',
    ...n.extraProps,
  };
}

/** Java .properties text (values here need no escaping: paths, hosts, numbers). */
export function renderProperties(props: Record<string, string>): string {
  return Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
}

/**
 * log4j 1.x (reload4j) configuration: everything to `<logDir>/server.log` at WARN, except
 * the start-up and shut-down milestones at INFO ("Kafka Server started", "Stopping SharedServer").
 */
export function log4jProperties(logDir: string): string {
  const lines = [
    'log4j.rootLogger=WARN, file',
    'log4j.appender.file=org.apache.log4j.RollingFileAppender',
    `log4j.appender.file.File=${path.join(logDir, 'server.log')}`,
    'log4j.appender.file.MaxFileSize=20MB',
    'log4j.appender.file.MaxBackupIndex=2',
    'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
  ];
  for (const logger of ['kafka.server.KafkaRaftServer', 'kafka.server.SharedServer']) {
    lines.push(`log4j.logger.${logger}=INFO`);
  }
  return lines.join('\n') + '\n';
}
