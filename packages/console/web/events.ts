import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { VNode } from 'preact';
import { api, describeError } from './api.ts';
import { navigate } from './router.ts';
import { Badge, Outcome, PageTitle, Show, fmtTime, link, useAsync } from './ui.ts';

/** Events: one event's routing and its deliveries across channels; cancel a scheduled event. */

interface EventDetail {
  id: string; type: string; targetUserId: string | null; priority: string; source: string | null; scheduledFor: string | null; createdAt: string; publishedAt: string | null; publishError: string | null;
  routing: { routedAt: string | null; deliveries: number | null; reason: string | null };
  counts: Record<string, Record<string, number>>;
  deliveries: { id: string; channel: string; userId: string; channelIdentifier: string | null; status: string; skipReason: string | null; attempts: number; createdAt: string }[];
}

export function LookupForm({ label, id, initial, onGo }: { label: string; id: string; initial: string; onGo: (v: string) => void }): VNode {
  const [v, setV] = useState(initial);
  return html`<form class="lookup" role="search" aria-label=${label} onSubmit=${(e: Event) => { e.preventDefault(); if (v.trim()) onGo(v.trim()); }}>
    <label for=${id}>${label}</label> <input id=${id} value=${v} onInput=${(e: Event) => setV((e.target as HTMLInputElement).value)} required />
    <button type="submit">Show</button></form>`;
}

function EventView({ id, canWrite }: { id: string; canWrite: boolean }): VNode {
  const [state, reload] = useAsync(() => api<EventDetail>(`/v1/events/${encodeURIComponent(id)}`), [id]);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const cancel = async () => {
    try {
      await api(`/v1/events/${encodeURIComponent(id)}/cancel`, { method: 'POST' });
      setOutcome({ ok: true, text: 'The event was cancelled (its deliveries not yet sent are cancelled too).' });
      reload();
    } catch (e) {
      setOutcome({ ok: false, text: describeError(e) });
    }
  };
  return html`<${Show} state=${state}>${(e: EventDetail) => html`
    <h2>${e.id}</h2>
    <dl class="facts">
      <dt>type</dt><dd>${e.type} (${e.priority})</dd>
      <dt>target</dt><dd>${e.targetUserId ? html`<a href=${link(`/recipients/${encodeURIComponent(e.targetUserId)}`)}>${e.targetUserId}</a>` : 'broadcast'}</dd>
      <dt>created</dt><dd>${fmtTime(e.createdAt)}</dd>
      <dt>scheduled for</dt><dd>${fmtTime(e.scheduledFor)}</dd>
      <dt>published</dt><dd>${fmtTime(e.publishedAt)}${e.publishError ? ` — ${e.publishError}` : ''}</dd>
      <dt>routed</dt><dd>${e.routing.routedAt ? `${fmtTime(e.routing.routedAt)}: ${e.routing.deliveries ?? 0} deliveries` : 'not yet (scheduled, or still in Kafka)'}${e.routing.reason ? ` — reached nobody: ${e.routing.reason}` : ''}</dd>
    </dl>
    <div class="actions"><button type="button" class="danger" disabled=${!canWrite} onClick=${cancel}>Cancel event</button></div>
    <${Outcome} value=${outcome} />
    <h3>Deliveries by channel</h3>
    ${Object.keys(e.counts).length === 0 ? html`<p>None.</p>` : html`<ul>${Object.entries(e.counts).map(([ch, by]) => html`<li><strong>${ch}</strong>: ${Object.entries(by).map(([s, n]) => `${n} ${s}`).join(', ')}</li>`)}</ul>`}
    <table class="list"><caption class="sr">Deliveries of the event</caption>
      <thead><tr><th scope="col">created</th><th scope="col">channel</th><th scope="col">recipient</th><th scope="col">address</th><th scope="col">status</th><th scope="col">delivery</th></tr></thead>
      <tbody>${e.deliveries.map((d) => html`<tr><td>${fmtTime(d.createdAt)}</td><td>${d.channel}</td><td>${d.userId}</td><td>${d.channelIdentifier ?? '—'}</td>
        <td><${Badge} value=${d.status} />${d.skipReason ? ` ${d.skipReason}` : ''}</td><td><a href=${link(`/deliveries/${d.id}`)}>timeline</a></td></tr>`)}</tbody>
    </table>`}<//>`;
}

export function Events({ id, canWrite }: { id: string | undefined; canWrite: boolean }): VNode {
  return html`<${PageTitle}>Events<//>
    <${LookupForm} label="Event id" id="event-id" initial=${id ?? ''} onGo=${(v: string) => navigate(`/events/${encodeURIComponent(v)}`)} />
    ${id ? html`<${EventView} id=${id} canWrite=${canWrite} />` : html`<p class="muted">Enter an event id, or open one from a delivery.</p>`}`;
}
