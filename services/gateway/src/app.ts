import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Registry } from 'prom-client';
import type { PrismaClient } from '@hub/db';
import type { Bus } from '@hub/bus';
import type { Clock } from '@hub/contracts';
import type { Logger } from '@hub/logger';
import { registerErrorHandler } from './plugins/errors.ts';
import { registerEventRoutes } from './routes/events.ts';
import { registerLinkRoutes } from './routes/links.ts';
import { registerDeliveryRoutes } from './routes/deliveries.ts';
import type { PhoneVerifier, SmsProvider } from '@hub/sms-provider';

export interface GatewayDeps {
  prisma: PrismaClient;
  bus: Bus;
  log: Logger;
  clock: Clock;
  metrics: Registry;
  publicBaseUrl: string;
  bodyLimit?: number;
  rateLimitPerMinute?: number;
  maxBatch?: number;
  /** Twilio (or sandbox): cancelling natively scheduled messages, phone verification. */
  provider?: SmsProvider & PhoneVerifier;
}

/** Builds the gateway's Fastify app; main.ts listens, tests call app.inject. */
export async function buildGateway(deps: GatewayDeps): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: deps.log as FastifyBaseLogger, bodyLimit: deps.bodyLimit ?? 1024 * 1024, logController: new LogController({ disableRequestLogging: true }) });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandler(app);
  await app.register(helmet, { contentSecurityPolicy: false });
  await app.register(rateLimit, {
    max: deps.rateLimitPerMinute ?? 6_000,
    timeWindow: '1 minute',
    keyGenerator: (req) => {
      const auth = req.headers.authorization;
      return auth ? auth.slice(0, 30) : req.ip;
    },
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Notification Hub API', version: '1.0.0', description: 'Publish notification events; query and manage deliveries.' },
      servers: [{ url: deps.publicBaseUrl }],
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  registerEventRoutes(app, { prisma: deps.prisma, bus: deps.bus, clock: deps.clock, maxBatch: deps.maxBatch ?? 500 });
  registerLinkRoutes(app, { prisma: deps.prisma });
  registerDeliveryRoutes(app, { prisma: deps.prisma, bus: deps.bus, clock: deps.clock, provider: deps.provider });
  app.get('/metrics', { schema: { hide: true } as object }, async (_req, reply) => reply.type(deps.metrics.contentType).send(await deps.metrics.metrics()));
  app.get('/health', { schema: { tags: ['health'] } }, async () => ({ status: 'green' }));
  return app;
}
