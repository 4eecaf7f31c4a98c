import type { FastifyInstance, InjectOptions } from 'fastify';

export type Json = Record<string, unknown> & { error?: { code: string; message: string; [k: string]: unknown } };

export interface Caller {
  (method: InjectOptions['method'], url: string, payload?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: Json; headers: Record<string, unknown> }>;
}

/** A small wrapper over app.inject that authenticates with `key` (none when null). */
export function caller(app: FastifyInstance, key: string | null): Caller {
  return async (method, url, payload, headers = {}) => {
    const res = await app.inject({
      method,
      url,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
      ...(payload === undefined ? {} : { payload: payload as InjectOptions['payload'] }),
    });
    const body = res.body && res.headers['content-type']?.toString().includes('json') ? (res.json() as Json) : ({} as Json);
    return { status: res.statusCode, body, headers: res.headers };
  };
}
