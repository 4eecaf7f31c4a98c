import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Prisma, type PrismaClient, type SmsTemplate } from '@hub/db';
import { extractTemplateVars } from '@hub/sms-rules';
import { requireScope } from '../plugins/auth.ts';
import { sendError } from '../plugins/errors.ts';
import { authErrors, errorSchema, iso } from './schemas.ts';
import { MAX_TEMPLATE_LENGTH, previewErrorMessage, previewTemplate, templateProblem, type PreviewResult } from './template-rules.ts';

/** SMS templates: list, read, create, update, deactivate, and preview a rendering. */

const keySchema = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,99}$/, 'lower-case letters, digits and _ . - (e.g. task_reminder)');
const varName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, 'a variable name, e.g. task_name');
const varsSchema = z.record(z.string(), z.unknown()).default({});

const fields = {
  name: z.string().min(1).max(255),
  description: z.string().max(2000).nullable(),
  text: z.string().min(1).max(MAX_TEMPLATE_LENGTH).refine((t) => t.trim() !== '', 'must not be blank: a whitespace-only template would fail every send').describe('the message with {{var}} placeholders'),
  requiredVars: z.array(varName).max(50).refine((v) => new Set(v).size === v.length, 'required vars must be distinct'),
  maxLength: z.number().int().min(1).max(MAX_TEMPLATE_LENGTH),
  sampleVars: z.record(z.string(), z.unknown()).describe('example values (sms_templates.template_vars)'),
};

const createBody = z.strictObject({
  key: keySchema,
  name: fields.name,
  description: fields.description.optional(),
  text: fields.text,
  requiredVars: fields.requiredVars.default([]),
  maxLength: fields.maxLength.default(160),
  sampleVars: fields.sampleVars.default({}),
});
const updateBody = z.strictObject({
  name: fields.name.optional(),
  description: fields.description.optional(),
  text: fields.text.optional(),
  requiredVars: fields.requiredVars.optional(),
  maxLength: fields.maxLength.optional(),
  sampleVars: fields.sampleVars.optional(),
  isActive: z.boolean().optional(),
}).refine((b) => Object.keys(b).length > 0, 'nothing to update');

const keyParams = z.object({ key: keySchema });

const templateView = z.object({
  key: z.string(), name: z.string(), description: z.string().nullable(), text: z.string(), vars: z.array(z.string()),
  requiredVars: z.array(z.string()), maxLength: z.number().int(), sampleVars: z.record(z.string(), z.unknown()), isActive: z.boolean(),
  usageCount: z.number().int(), lastUsedAt: z.string().nullable(), createdAt: z.string(), updatedAt: z.string(),
});
const previewView = z.object({
  text: z.string(), length: z.number().int(), encoding: z.enum(['GSM-7', 'UCS-2']), segments: z.number().int(), ucs2Chars: z.array(z.string()), vars: z.array(z.string()),
});

const stringArray = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const objectOf = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

function toView(t: SmsTemplate): z.infer<typeof templateView> {
  const text = t.messageTemplate;
  return {
    key: t.templateKey, name: t.name, description: t.description, text, vars: extractTemplateVars(text),
    requiredVars: stringArray(t.requiredVars), maxLength: t.maxLength, sampleVars: objectOf(t.templateVars), isActive: t.isActive,
    usageCount: t.usageCount, lastUsedAt: iso(t.lastUsedAt), createdAt: t.createdAt.toISOString(), updatedAt: t.updatedAt.toISOString(),
  };
}

function checked(reply: FastifyReply, shape: { text: string; requiredVars: string[]; maxLength: number }): boolean {
  const problem = templateProblem(shape);
  if (!problem) return true;
  const { code, message, ...details } = problem;
  void sendError(reply, 400, code, message, details);
  return false;
}

function sendPreview(reply: FastifyReply, result: PreviewResult) {
  if (result.ok) return reply.send(result.preview);
  const { code, ...details } = result.error;
  return sendError(reply, 400, code, previewErrorMessage(result.error), details);
}

export function registerTemplateRoutes(app: FastifyInstance, deps: { prisma: PrismaClient; publicBaseUrl: string }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const read = requireScope(deps.prisma, 'admin:read');
  const write = requireScope(deps.prisma, 'admin:write');
  const notFound = (reply: FastifyReply, key: string) => sendError(reply, 404, 'template_not_found', `no template ${key}`);
  const tags = ['templates'];

  r.get('/v1/templates', {
    onRequest: read,
    schema: { tags, summary: 'List templates', querystring: z.object({ active: z.enum(['true', 'false']).optional() }), response: { 200: z.object({ items: z.array(templateView) }), ...authErrors } },
  }, async (request) => {
    const active = request.query.active;
    const rows = await deps.prisma.smsTemplate.findMany({ where: active ? { isActive: active === 'true' } : {}, orderBy: { templateKey: 'asc' } });
    return { items: rows.map(toView) };
  });

  r.get('/v1/templates/:key', {
    onRequest: read,
    schema: { tags, summary: 'One template', params: keyParams, response: { 200: templateView, 404: errorSchema, ...authErrors } },
  }, async (request, reply) => {
    const t = await deps.prisma.smsTemplate.findUnique({ where: { templateKey: request.params.key } });
    return t ? toView(t) : notFound(reply, request.params.key);
  });

  r.post('/v1/templates', {
    onRequest: write,
    schema: { tags, summary: 'Create a template (required vars must appear in the text; max_length 1–1600)', body: createBody, response: { 201: templateView, 409: errorSchema, ...authErrors } },
  }, async (request, reply) => {
    const b = request.body;
    if (!checked(reply, b)) return reply;
    try {
      const t = await deps.prisma.smsTemplate.create({
        data: { templateKey: b.key, name: b.name, description: b.description ?? null, messageTemplate: b.text, requiredVars: b.requiredVars, maxLength: b.maxLength, templateVars: b.sampleVars as Prisma.InputJsonValue },
      });
      return reply.code(201).send(toView(t));
    } catch (err) {
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') return sendError(reply, 409, 'template_exists', `template ${b.key} already exists`);
      throw err;
    }
  });

  r.put('/v1/templates/:key', {
    onRequest: write,
    schema: { tags, summary: 'Update a template (fields not sent are kept; the result is checked as a whole)', params: keyParams, body: updateBody, response: { 200: templateView, 404: errorSchema, ...authErrors } },
  }, async (request, reply) => {
    const t = await deps.prisma.smsTemplate.findUnique({ where: { templateKey: request.params.key } });
    if (!t) return notFound(reply, request.params.key);
    const b = request.body;
    const merged = { text: b.text ?? t.messageTemplate, requiredVars: b.requiredVars ?? stringArray(t.requiredVars), maxLength: b.maxLength ?? t.maxLength };
    if (!checked(reply, merged)) return reply;
    const updated = await deps.prisma.smsTemplate.update({
      where: { id: t.id },
      data: {
        ...(b.name !== undefined ? { name: b.name } : {}),
        ...(b.description !== undefined ? { description: b.description } : {}),
        ...(b.sampleVars !== undefined ? { templateVars: b.sampleVars as Prisma.InputJsonValue } : {}),
        ...(b.isActive !== undefined ? { isActive: b.isActive } : {}),
        messageTemplate: merged.text, requiredVars: merged.requiredVars, maxLength: merged.maxLength,
      },
    });
    return toView(updated);
  });

  r.post('/v1/templates/:key/deactivate', {
    onRequest: write,
    schema: { tags, summary: 'Deactivate a template (events of its type then fall back to plain text)', params: keyParams, response: { 200: templateView, 404: errorSchema, ...authErrors } },
  }, async (request, reply) => {
    const t = await deps.prisma.smsTemplate.findUnique({ where: { templateKey: request.params.key } });
    if (!t) return notFound(reply, request.params.key);
    return toView(await deps.prisma.smsTemplate.update({ where: { id: t.id }, data: { isActive: false } }));
  });

  r.post('/v1/templates/:key/preview', {
    onRequest: read,
    schema: { tags, summary: 'Render a stored template with vars: text, length, encoding, segments', params: keyParams, body: z.strictObject({ vars: varsSchema }), response: { 200: previewView, 404: errorSchema, ...authErrors } },
  }, async (request, reply) => {
    const t = await deps.prisma.smsTemplate.findUnique({ where: { templateKey: request.params.key } });
    if (!t) return notFound(reply, request.params.key);
    return sendPreview(reply, previewTemplate({ text: t.messageTemplate, requiredVars: stringArray(t.requiredVars), maxLength: t.maxLength }, request.body.vars, deps.publicBaseUrl));
  });

  r.post('/v1/templates/preview', {
    onRequest: read,
    schema: {
      tags, summary: 'Render an ad-hoc template text with vars: text, length, encoding, segments',
      body: z.strictObject({ template: fields.text, vars: varsSchema, requiredVars: fields.requiredVars.optional(), maxLength: fields.maxLength.optional() }),
      response: { 200: previewView, ...authErrors },
    },
  }, async (request, reply) => sendPreview(reply, previewTemplate({ text: request.body.template, requiredVars: request.body.requiredVars ?? [], maxLength: request.body.maxLength ?? null }, request.body.vars, deps.publicBaseUrl)));
}
