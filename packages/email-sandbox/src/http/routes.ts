import type { FastifyInstance, FastifyReply } from 'fastify';
import { httpStatusOf, SandboxError } from '../errors.ts';
import type { EmailSandbox } from '../sandbox.ts';
import { isEventKind, isFault, type SandboxEventKind, type StoredMail } from '../types.ts';
import { CSP, renderIndex, renderMessage, renderNotFound } from './html.ts';

type Params = { queueId: string };
/** postEvent by queue id (several messages may share a Message-ID; the route means this one). */
export type PostEventFor = (queueId: string, kind: SandboxEventKind, extra: Record<string, unknown>) => Promise<void>;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function html(reply: FastifyReply, status: number, body: string) {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-store')
    .send(body);
}

const notFound = (reply: FastifyReply, queueId: string) => reply.code(404).send({ error: 'message_not_found', message: `no message ${queueId}` });
const badRequest = (reply: FastifyReply, message: string) => reply.code(400).send({ error: 'bad_request', message });

/** The web UI and the JSON control API. */
export function routes(app: FastifyInstance, sandbox: EmailSandbox, postEventFor: PostEventFor): void {
  const byQueueId = (queueId: string): StoredMail | undefined => sandbox.message(queueId);

  app.get('/', (_req, reply) => html(reply, 200, renderIndex(sandbox.messages())));
  app.get<{ Params: Params }>('/messages/:queueId', (req, reply) => {
    const m = byQueueId(req.params.queueId);
    return m ? html(reply, 200, renderMessage(m)) : html(reply, 404, renderNotFound(req.params.queueId));
  });

  app.get<{ Querystring: { to?: string } }>('/api/messages', (req) => {
    const to = req.query.to?.toLowerCase();
    const messages = to === undefined
      ? sandbox.messages()
      : sandbox.messages().filter((m) => m.envelopeTo.some((t) => t.toLowerCase() === to) || m.to.some((t) => t.toLowerCase() === to));
    return { count: messages.length, messages };
  });
  app.get<{ Params: Params }>('/api/messages/:queueId', (req, reply) => byQueueId(req.params.queueId) ?? notFound(reply, req.params.queueId));
  app.delete('/api/messages', (_req, reply) => {
    sandbox.clear();
    return reply.code(204).send();
  });

  app.post<{ Params: Params }>('/api/messages/:queueId/events', async (req, reply) => {
    const m = byQueueId(req.params.queueId);
    if (!m) return notFound(reply, req.params.queueId);
    if (!isObject(req.body) || !isEventKind(req.body.event)) return badRequest(reply, 'body must be {"event": <processed|delivered|deferred|bounce|blocked|dropped|spamreport|open|click|unsubscribe>, ...extra}');
    const { event, ...extra } = req.body;
    try {
      await postEventFor(m.queueId, event, extra);
      return { posted: true, event };
    } catch (err) {
      if (err instanceof SandboxError) return reply.code(httpStatusOf(err.code)).send({ error: err.code, message: err.message });
      throw err;
    }
  });

  app.post<{ Params: Params }>('/api/messages/:queueId/unsubscribe', async (req, reply) => {
    const m = byQueueId(req.params.queueId);
    if (!m) return notFound(reply, req.params.queueId);
    const result = await sandbox.oneClickUnsubscribe(m.queueId);
    if (result.ok) return { url: result.url, status: result.status };
    return reply.code(result.error === 'request_failed' ? 502 : 422).send({ error: result.error, message: result.detail });
  });

  app.post('/api/faults', (req, reply) => {
    const body = req.body;
    if (!isObject(body) || typeof body.match !== 'string' || body.match === '' || !isFault(body.fault)) {
      return badRequest(reply, 'body must be {"match": "<address>|*", "fault": "<fault>", "times"?: n}');
    }
    if (body.times !== undefined && !(Number.isInteger(body.times) && (body.times as number) > 0)) return badRequest(reply, 'times must be a positive integer');
    sandbox.setFault(body.match, body.fault, body.times === undefined ? undefined : { times: body.times as number });
    return reply.code(204).send();
  });
  app.delete('/api/faults', (_req, reply) => {
    sandbox.clearFaults();
    return reply.code(204).send();
  });

  app.put('/api/webhook-url', (req, reply) => {
    const body = req.body;
    if (!isObject(body) || !(body.url === null || (typeof body.url === 'string' && /^https?:\/\//.test(body.url)))) return badRequest(reply, 'body must be {"url": "http(s)://…" | null}');
    sandbox.setWebhookUrl(body.url as string | null);
    return reply.code(204).send();
  });

  app.get('/api/stats', () => sandbox.stats());
}
