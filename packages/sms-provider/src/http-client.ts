import http from 'node:http';
import https from 'node:https';
import twilio from 'twilio';

type RequestOptions<T> = Parameters<InstanceType<typeof twilio.RequestClient>['request']>[0] & { data?: T };
type ClientOptions = ConstructorParameters<typeof twilio.RequestClient>[0];

/**
 * The SDK has no base-URL option; its documented extension point is a custom httpClient.
 * This one rewrites scheme, host (and a base path) of every request — api.twilio.com,
 * verify.twilio.com, any region/edge host the SDK derived — and hands it to the SDK's own
 * RequestClient, so requests are still built, authenticated and parsed by the SDK.
 */
export class RedirectingRequestClient extends twilio.RequestClient {
  private readonly base: URL;

  constructor(baseUrl: string, opts: ClientOptions) {
    super(opts);
    this.base = new URL(baseUrl);
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') throw new Error(`baseUrl must be http(s): ${baseUrl}`);
  }

  override request<TData>(opts: RequestOptions<TData>) {
    const target = new URL(opts.uri);
    target.protocol = this.base.protocol;
    target.host = this.base.host;
    target.pathname = this.base.pathname.replace(/\/$/, '') + target.pathname;
    return super.request({ ...opts, uri: target.toString() });
  }
}

export interface HttpClientOptions {
  /** When set, every Twilio host is replaced by this base URL (the sandbox). */
  baseUrl?: string | undefined;
  timeoutMs: number;
  /** Sockets per host, for https (the SDK's agent) and http (ours) alike. */
  maxSockets: number;
}

/**
 * The SDK's RequestClient with bounded keep-alive sockets. Its own agent is https only (and
 * keeps just 5 idle sockets); a plain-http target (the sandbox) would otherwise go through
 * Node's unbounded global agent, so both agents are set explicitly.
 */
export function createRequestClient(options: HttpClientOptions): { client: InstanceType<typeof twilio.RequestClient>; close(): void } {
  const clientOptions: ClientOptions = {
    timeout: options.timeoutMs,
    keepAlive: true,
    maxSockets: options.maxSockets,
    maxFreeSockets: options.maxSockets,
    maxTotalSockets: options.maxSockets * 2,
    autoRetry: false,
  };
  const client = options.baseUrl ? new RedirectingRequestClient(options.baseUrl, clientOptions) : new twilio.RequestClient(clientOptions);
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets, maxFreeSockets: options.maxSockets, timeout: options.timeoutMs });
  client.axios.defaults.httpAgent = httpAgent;
  const httpsAgent: unknown = client.axios.defaults.httpsAgent;
  return {
    client,
    close() {
      httpAgent.destroy();
      if (httpsAgent instanceof https.Agent) httpsAgent.destroy();
    },
  };
}
