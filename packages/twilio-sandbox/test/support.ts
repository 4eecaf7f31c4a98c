import { createTwilioSandbox, type SandboxOptions, type TwilioSandbox } from '../src/index.ts';

export interface Api {
  sandbox: TwilioSandbox;
  /** Twilio API call with the sandbox's Basic auth (form-encoded body for POST). */
  post(path: string, form?: Record<string, string | string[]>, auth?: string | null): Promise<{ status: number; body: Record<string, unknown> }>;
  get(path: string, auth?: string | null): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Control API (JSON, no auth). */
  control(method: 'GET' | 'POST', path: string, json?: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
  messagesPath: string;
  close(): Promise<void>;
}

export async function startApi(options: SandboxOptions = {}): Promise<Api> {
  const sandbox = createTwilioSandbox({ scenario: { delayMs: 2 }, ...options });
  await sandbox.start();
  const basic = `Basic ${Buffer.from(`${sandbox.accountSid}:${sandbox.authToken}`).toString('base64')}`;
  const call = async (method: string, path: string, body: string | undefined, headers: Record<string, string>) => {
    const res = await fetch(sandbox.url + path, { method, body, headers });
    const text = await res.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      parsed = { text };
    }
    return { status: res.status, body: parsed };
  };
  const authHeader = (auth: string | null | undefined): Record<string, string> => (auth === null ? {} : { authorization: auth ?? basic });
  return {
    sandbox,
    messagesPath: `/2010-04-01/Accounts/${sandbox.accountSid}/Messages`,
    post(path, form = {}, auth) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(form)) for (const one of Array.isArray(v) ? v : [v]) params.append(k, one);
      return call('POST', path, params.toString(), { 'content-type': 'application/x-www-form-urlencoded', ...authHeader(auth) });
    },
    get: (path, auth) => call('GET', path, undefined, authHeader(auth)),
    control: (method, path, json) =>
      call(method, `/__sandbox${path}`, json === undefined ? undefined : JSON.stringify(json), json === undefined ? {} : { 'content-type': 'application/json' }),
    close: () => sandbox.close(),
  };
}
