import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { EmailTemplate as EmailTemplateRow, PrismaClient } from '@hub/db';
import { compileEmailTemplate, EMAIL_TEMPLATE_FORMATS, renderEmail, type CompiledEmailTemplate, type EmailTemplate, type RenderEmailResult } from '@hub/email-rules';
import { extractTemplateVars } from '@hub/sms-rules';
import { requireScope } from '../plugins/auth.ts';
import { sendError } from '../plugins/errors.ts';
import { authErrors, errorSchema, iso } from './schemas.ts';

/**
 * Email templates (email_templates): subject, body in MJML or HTML, optional text part,
 * required vars. The email-adapter looks a template up by template_key with the SMS rule
 * (templateKeyFor: the event type with . and - as _, e.g. task.reminder → task_reminder).
 * Saving compiles the body (@hub/email-rules compileEmailTemplate): MJML errors → 400
 * invalid_template with each error's line and message; nothing invalid is ever stored.
 * DELETE deactivates (the adapter then falls back to its generic email). Previews render
 * as the adapter does: variables HTML-escaped in the HTML, URL attributes checked.
 */

const keySchema = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,99}$/, 'lower-case letters, digits and _ . - (e.g. task_reminder)');
const varName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, 'a variable name, e.g. task_name');
const MAX_BODY = 200_000;

const subjectSchema = z.string().max(998).refine((s) => s.trim().length > 0, 'must not be blank').describe('with {{var}} placeholders');
const bodySchema = z.string().min(1).max(MAX_BODY).describe("MJML (format 'mjml') or HTML, with {{var}} placeholders");
const requiredVarsSchema = z.array(varName).max(50).refine((v) => new Set(v).size === v.length, 'required vars must be distinct');
const varsSchema = z.record(z.string(), z.unknown()).default({});

const putBody = z.strictObject({
  name: z.string().min(1).max(255),
  description: z.string().max(2000).nullable().optional(),
  subject: subjectSchema,
  body: bodySchema,
  format: z.enum(EMAIL_TEMPLATE_FORMATS).default('mjml'),
  textBody: z.string().max(MAX_BODY).nullable().optional().describe('the text part; absent: derived from the HTML'),
  requiredVars: requiredVarsSchema.default([]),
  isActive: z.boolean().default(true),
});

const keyParams = z.object({ templateKey: keySchema });

const templateView = z.object({
  key: z.string(), name: z.string(), description: z.string().nullable(), subject: z.string(), body: z.string(), format: z.string(),
  textBody: z.string().nullable(), requiredVars: z.array(z.string()), vars: z.array(z.string()).describe('variables referenced by subject, body and text'),
  isActive: z.boolean(), usageCount: z.number().int(), lastUsedAt: z.string().nullable(), createdAt: z.string(), updatedAt: z.string(),
});
const previewView = z.object({ subject: z.string(), html: z.string(), text: z.string() });

const stringArray = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const formatOf = (f: string): EmailTemplate['format'] => (f === 'html' ? 'html' : 'mjml');

function toView(t: EmailTemplateRow): z.infer<typeof templateView> {
  const vars = [...new Set([...extractTemplateVars(t.subject), ...extractTemplateVars(t.body), ...(t.textBody ? extractTemplateVars(t.textBody) : [])])];
  return {
    key: t.templateKey, name: t.name, description: t.description, subject: t.subject, body: t.body, format: t.format, textBody: t.textBody,
    requiredVars: stringArray(t.requiredVars), vars, isActive: t.isActive, usageCount: t.usageCount, lastUsedAt: iso(t.lastUsedAt),
    createdAt: t.createdAt.toISOString(), updatedAt: t.updatedAt.toISOString(),
  };
}

/** Compiles a template, or answers 400 (invalid_template with lines, unknown_required_vars) and returns null. */
async function compiled(reply: FastifyReply, t: EmailTemplate): Promise<CompiledEmailTemplate | null> {
  const result = await compileEmailTemplate(t);
  if (!result.ok) {
    const first = result.errors[0];
    const message = first ? `${first.line !== null ? `line ${first.line}: ` : ''}${first.message}` : 'the MJML does not compile';
    void sendError(reply, 400, 'invalid_template', message, { line: first?.line ?? null, errors: result.errors });
    return null;
  }
  const used = new Set([...result.template.subjectVars, ...result.template.htmlVars, ...result.template.textVars]);
  const unknown = t.requiredVars.filter((v) => !used.has(v));
  if (unknown.length > 0) {
    void sendError(reply, 400, 'unknown_required_vars', `required vars not used in the subject, body or text: ${unknown.join(', ')}`, { vars: unknown });
    return null;
  }
  return result.template;
}

function sendRendered(reply: FastifyReply, r: RenderEmailResult) {
  if (r.ok) return reply.send({ subject: r.subject, html: r.html, text: r.text });
  const { ok: _ok, code, message, ...details } = r;
  return sendError(reply, 400, code, message, details);
}

export function registerEmailTemplateRoutes(app: FastifyInstance, deps: { prisma: PrismaClient }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const read = requireScope(deps.prisma, 'admin:read');
  const write = requireScope(deps.prisma, 'admin:write');
  const tags = ['email', 'templates'];
  const notFound = (reply: FastifyReply, key: string) => sendError(reply, 404, 'template_not_found', `no email template ${key}`);
  const find = (key: string) => deps.prisma.emailTemplate.findUnique({ where: { templateKey: key } });

  r.get('/v1/email-templates', {
    onRequest: read,
    schema: { tags, summary: 'List email templates', querystring: z.object({ active: z.enum(['true', 'false']).optional() }), response: { 200: z.object({ items: z.array(templateView) }), ...authErrors } },
  }, async (request) => {
    const active = request.query.active;
    const rows = await deps.prisma.emailTemplate.findMany({ where: active ? { isActive: active === 'true' } : {}, orderBy: { templateKey: 'asc' } });
    return { items: rows.map(toView) };
  });

  r.get('/v1/email-templates/:templateKey', {
    onRequest: read,
    schema: { tags, summary: 'One email template', params: keyParams, response: { 200: templateView, 404: errorSchema, ...authErrors } },
  }, async (request, reply) => {
    const t = await find(request.params.templateKey);
    return t ? toView(t) : notFound(reply, request.params.templateKey);
  });

  r.put('/v1/email-templates/:templateKey', {
    onRequest: write,
    schema: {
      tags, summary: 'Create or replace an email template (compiled first: MJML errors → 400 invalid_template with the line)',
      params: keyParams, body: putBody, response: { 200: templateView, 201: templateView, ...authErrors },
    },
  }, async (request, reply) => {
    const b = request.body;
    const requiredVars = b.requiredVars;
    const ok = await compiled(reply, { subject: b.subject, html: b.body, format: b.format, text: b.textBody ?? null, requiredVars });
    if (!ok) return reply;
    const data = { name: b.name, description: b.description ?? null, subject: b.subject, body: b.body, format: b.format, textBody: b.textBody ?? null, requiredVars, isActive: b.isActive };
    const [row] = await deps.prisma.$queryRaw<{ inserted: boolean }[]>`
      SELECT NOT EXISTS (SELECT 1 FROM email_templates WHERE template_key = ${request.params.templateKey}) AS inserted`;
    const t = await deps.prisma.emailTemplate.upsert({ where: { templateKey: request.params.templateKey }, create: { templateKey: request.params.templateKey, ...data }, update: data });
    return reply.code(row?.inserted ? 201 : 200).send(toView(t));
  });

  r.delete('/v1/email-templates/:templateKey', {
    onRequest: write,
    schema: { tags, summary: "Deactivate an email template (its event type then gets the adapter's generic email)", params: keyParams, response: { 200: templateView, 404: errorSchema, ...authErrors } },
  }, async (request, reply) => {
    const t = await find(request.params.templateKey);
    if (!t) return notFound(reply, request.params.templateKey);
    return toView(await deps.prisma.emailTemplate.update({ where: { id: t.id }, data: { isActive: false } }));
  });

  r.post('/v1/email-templates/:templateKey/preview', {
    onRequest: read,
    schema: { tags, summary: 'Render a stored email template with vars: subject, html (vars escaped), text', params: keyParams, body: z.strictObject({ vars: varsSchema }), response: { 200: previewView, 404: errorSchema, ...authErrors } },
  }, async (request, reply) => {
    const t = await find(request.params.templateKey);
    if (!t) return notFound(reply, request.params.templateKey);
    const c = await compiled(reply, { subject: t.subject, html: t.body, format: formatOf(t.format), text: t.textBody, requiredVars: stringArray(t.requiredVars) });
    if (!c) return reply;
    return sendRendered(reply, renderEmail(c, request.body.vars));
  });

  r.post('/v1/email-templates/preview', {
    onRequest: read,
    schema: {
      tags, summary: 'Render an unsaved email template with vars: subject, html (vars escaped), text',
      body: z.strictObject({
        subject: subjectSchema, body: bodySchema, format: z.enum(EMAIL_TEMPLATE_FORMATS).default('mjml'),
        textBody: z.string().max(MAX_BODY).nullable().optional(), requiredVars: requiredVarsSchema.default([]), vars: varsSchema,
      }),
      response: { 200: previewView, ...authErrors },
    },
  }, async (request, reply) => {
    const b = request.body;
    const c = await compiled(reply, { subject: b.subject, html: b.body, format: b.format, text: b.textBody ?? null, requiredVars: b.requiredVars });
    if (!c) return reply;
    return sendRendered(reply, renderEmail(c, b.vars));
  });
}
