import { html } from 'htm/preact';
import { useEffect } from 'preact/hooks';
import type { VNode } from 'preact';
import { api, qs } from './api.ts';
import { LineChart } from './chart.ts';
import { Badge, PageTitle, Show, fmtTime, pct, useAsync } from './ui.ts';

/** Overview: the /health verdict with its figures, volume and delivery rate per channel, failures, spend. */

interface Check { status: string; latencyMs?: number | null; error?: string; [k: string]: unknown }
interface Health { status: 'green' | 'yellow' | 'red'; checkedAt: string; checks: Record<string, Check> }
interface ChannelMetrics { channel: string; total: number; delivered: number; failed: number; skipped: number; pending: number; sent: number; cancelled: number; deliveryRate: number | null }
interface Channels { days: number; channels: ChannelMetrics[] }
interface Failures { total: number; byCategory: { category: string; count: number }[]; byCode: { code: number | null; count: number; category: string; description: string }[] }
interface Lag { checkedAt: string; services: { service: string; lag: number; groups: { groupId: string; topic: string; lag: number; state: string | null; members: number | null; partitions: unknown[] }[] }[] }
interface Cost { currency: string; totalSegments: number; estimatedCost: number; days: number }

const VERDICT: Record<Health['status'], string> = {
  green: 'Healthy: every check is within its threshold.',
  yellow: 'Degraded: at least one check is past its warning threshold.',
  red: 'Unhealthy: at least one check failed (the gateway answers /health with 503).',
};

/** The figures of a check besides its status, as "name value" pairs. */
const figures = (c: Check): string => Object.entries(c)
  .filter(([k, v]) => k !== 'status' && v !== null && v !== undefined && typeof v !== 'object')
  .map(([k, v]) => `${k} ${typeof v === 'number' && /rate/i.test(k) ? pct(v) : String(v)}`)
  .join(', ');

function HealthPanel(): VNode {
  const [state] = useAsync(() => api<Health>('/health'), []);
  return html`<section aria-labelledby="h-health"><h2 id="h-health">Health</h2>
    <${Show} state=${state}>${(h: Health) => html`
      <p class=${`verdict v-${h.status}`} data-testid="verdict"><strong>${h.status.toUpperCase()}</strong> — ${VERDICT[h.status]} <span class="muted">(checked ${fmtTime(h.checkedAt)})</span></p>
      <table><caption class="sr">Health checks</caption>
        <thead><tr><th scope="col">check</th><th scope="col">status</th><th scope="col">figures</th></tr></thead>
        <tbody>${Object.entries(h.checks).map(([name, c]) => html`<tr><th scope="row">${name}</th><td><${Badge} value=${c.status} /></td><td>${figures(c) || '—'}</td></tr>`)}</tbody>
      </table>`}<//>
  </section>`;
}

/**
 * Per channel and day: the API gives totals over the last N days (GET /v1/metrics/channels?days=N),
 * so day k back is the difference of the windows k and k−1 (rolling 24 h windows counted back from now).
 */
async function channelDays(days: number): Promise<{ x: number[]; channels: string[]; volume: number[][]; rate: (number | null)[][]; latest: Channels }> {
  const windows = await Promise.all(Array.from({ length: days }, (_, i) => api<Channels>(`/v1/metrics/channels${qs({ days: i + 1 })}`)));
  const channels = windows[0]!.channels.map((c) => c.channel);
  const now = Date.now();
  const x: number[] = [];
  const volume: number[][] = channels.map(() => []);
  const rate: (number | null)[][] = channels.map(() => []);
  for (let k = days; k >= 1; k--) {
    x.push(Math.round((now - (k - 0.5) * 86_400_000) / 1000));
    channels.forEach((name, ci) => {
      const cur = windows[k - 1]!.channels.find((c) => c.channel === name);
      const prev = k > 1 ? windows[k - 2]!.channels.find((c) => c.channel === name) : undefined;
      const d = (f: 'total' | 'delivered' | 'failed') => (cur?.[f] ?? 0) - (prev?.[f] ?? 0);
      volume[ci]!.push(d('total'));
      rate[ci]!.push(d('delivered') + d('failed') > 0 ? d('delivered') / (d('delivered') + d('failed')) : null);
    });
  }
  return { x, channels, volume, rate, latest: windows[days - 1]! };
}

function ChannelPanel(): VNode {
  const [state] = useAsync(() => channelDays(7), []);
  return html`<section aria-labelledby="h-channels"><h2 id="h-channels">Deliveries per channel, last 7 days</h2>
    <${Show} state=${state}>${(d: Awaited<ReturnType<typeof channelDays>>) => html`
      <div class="charts">
        <${LineChart} title="Volume per day (deliveries created)" x=${d.x} yLabel="deliveries" series=${d.channels.map((c, i) => ({ label: c, values: d.volume[i]! }))} />
        <${LineChart} title="Delivery rate per day (delivered / (delivered + failed))" x=${d.x} yLabel="rate" percent series=${d.channels.map((c, i) => ({ label: c, values: d.rate[i]! }))} />
      </div>
      <table><caption>Totals over 7 days</caption>
        <thead><tr><th scope="col">channel</th><th scope="col">total</th><th scope="col">pending</th><th scope="col">sent</th><th scope="col">delivered</th><th scope="col">failed</th><th scope="col">skipped</th><th scope="col">cancelled</th><th scope="col">delivery rate</th></tr></thead>
        <tbody>${d.latest.channels.map((c) => html`<tr><th scope="row">${c.channel}</th><td>${c.total}</td><td>${c.pending}</td><td>${c.sent}</td><td>${c.delivered}</td><td>${c.failed}</td><td>${c.skipped}</td><td>${c.cancelled}</td><td>${pct(c.deliveryRate)}</td></tr>`)}</tbody>
      </table>`}<//>
  </section>`;
}

function FailuresPanel(): VNode {
  const [state] = useAsync(() => Promise.all([api<Failures>('/v1/metrics/failures?days=7'), api<Cost>('/v1/metrics/cost?days=30')]), []);
  return html`<section aria-labelledby="h-fail"><h2 id="h-fail">SMS failures (7 days) and spend (30 days)</h2>
    <${Show} state=${state}>${([f, c]: [Failures, Cost]) => html`
      <p>Estimated spend: <strong>${c.estimatedCost.toFixed(2)} ${c.currency}</strong> for ${c.totalSegments} segments in ${c.days} days.</p>
      ${f.total === 0 ? html`<p>No failed SMS in 7 days.</p>` : html`
        <table><caption>Failures by category</caption><thead><tr><th scope="col">category</th><th scope="col">count</th></tr></thead>
          <tbody>${f.byCategory.map((r) => html`<tr><th scope="row">${r.category}</th><td>${r.count}</td></tr>`)}</tbody></table>
        <table><caption>Failures by error code</caption><thead><tr><th scope="col">code</th><th scope="col">count</th><th scope="col">category</th><th scope="col">meaning</th></tr></thead>
          <tbody>${f.byCode.map((r) => html`<tr><th scope="row">${r.code ?? 'none'}</th><td>${r.count}</td><td>${r.category}</td><td>${r.description}</td></tr>`)}</tbody></table>`}
`}<//>
  </section>`;
}

/** A group with members but lag, or without members, is worth a look: words, not only colour. */
const lagState = (g: Lag['services'][number]['groups'][number]): string => {
  if (g.members === 0 || g.state === 'Empty' || g.state === 'Dead') return g.lag > 0 ? 'no consumer running, messages waiting' : 'no consumer running';
  return g.lag > 0 ? 'catching up' : 'up to date';
};

/** Consumer lag per service from GET /v1/metrics/consumer-lag (committed vs latest offsets), refreshed every 10 s. */
function LagPanel(): VNode {
  const [state, , refresh] = useAsync(() => api<Lag>('/v1/metrics/consumer-lag'), []);
  useEffect(() => {
    const t = setInterval(refresh, 10_000);
    return () => clearInterval(t);
  }, []);
  return html`<section aria-labelledby="h-lag"><h2 id="h-lag">Consumer lag per service</h2>
    <${Show} state=${state}>${(l: Lag) => html`
      <table data-testid="consumer-lag"><caption>Messages not yet processed, per consumer group <span class="muted">(read ${fmtTime(l.checkedAt)}; refreshed every 10 s)</span></caption>
        <thead><tr><th scope="col">service</th><th scope="col">group</th><th scope="col">topic</th><th scope="col">lag</th><th scope="col">consumers</th><th scope="col">state</th></tr></thead>
        <tbody>${l.services.flatMap((s) => s.groups.map((g, i) => html`<tr>
          ${i === 0 ? html`<th scope="row" rowspan=${s.groups.length}>${s.service}<br /><span class="muted">total ${s.lag}</span></th>` : null}
          <td>${g.groupId}</td><td>${g.topic}</td><td>${g.lag}</td><td>${g.members ?? '—'}</td><td>${lagState(g)}${g.state ? html` <span class="muted">(${g.state})</span>` : null}</td></tr>`))}</tbody>
      </table>`}<//>
  </section>`;
}

export function Overview(): VNode {
  return html`<${PageTitle}>Overview<//><${HealthPanel} /><${ChannelPanel} /><${LagPanel} /><${FailuresPanel} />`;
}
