import type { FastifyInstance } from 'fastify';
import type { PrismaClient } from '@hub/db';
export function registerEmailTemplateRoutes(_app: FastifyInstance, _deps: { prisma: PrismaClient }): void {}
