import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { VNode } from 'preact';
import { api, describeError, qs } from './api.ts';
import { useLive } from './live.ts';
import { navigate, type Route } from './router.ts';
import { Badge, Outcome, PageTitle, Show, fmtTime, link, useAsync } from './ui.ts';

/** Deliveries: search with every filter of GET /v1/deliveries, cursor paging, and one delivery's timeline. */

export interface Delivery {
  id: string; eventId: string; eventType: string; userId: string; channel: string; channelIdentifier: string | null; status: string;
  skipReason: string | null; attempts: number; lastError: string | null; lastErrorCode: string | null; deferredUntil: string | null;
  sentAt: string | null; deliveredAt: string | null; failedAt: string | null; createdAt: string; updatedAt: string;
}
interface Page { items: Delivery[]; nextCursor: string | null }
interface Detail extends Delivery {
  event: { id: string; type: string; priority: string; payload: unknown; scheduledFor: string | null; occurredAt: string };
  message: null | { text: string | null; templateKey: string | null; segments: number; encoding: string; status: string; attemptCount: number; maxAttempts: number; nextRetryAt: string | null; twilioSid: string | null; errorCode: number | null; errorMessage: string | null;
    history: { status: string; twilioStatus: string | null; attempt: number | null; errorCode: number | null; source: string; applied: boolean; at: string }[] };
  emailMessage: null | { to: string; from: string; subject: string; status: string; smtpResponse: string | null; bounceType: string | null; attemptCount: number; maxAttempts: number; nextRetryAt: string | null; errorCode: string | null; errorMessage: string | null;
    events: { status: string | null; event: string; attempt: number; smtpStatus: string | null; detail: string | null; source: string; applied: boolean; at: string }[] };
  schedule: { kind: string; dueAt: string; status: string }[];
}

const FILTERS = ['userId', 'phone', 'email', 'eventId', 'eventType', 'status', 'channel', 'from', 'to'] as const;
const STATUSES = ['pending', 'deferred', 'sent', 'delivered', 'failed', 'skipped', 'cancelled'];
const LABELS: Record<(typeof FILTERS)[number], string> = {
  userId: 'Recipient id', phone: 'Phone', email: 'Email address', eventId: 'Event id', eventType: 'Event type', status: 'Status', channel: 'Channel', from: 'Created from', to: 'Created before',
};

/** datetime-local (the browser's zone) ↔ the API's ISO instants. */
const toIso = (local: string) => (local ? new Date(local).toISOString() : '');
const toLocal = (iso: string) => {
  if (!iso) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

export function DeliveryTable({ items, fresh }: { items: Delivery[]; fresh?: Set<string> }): VNode {
  if (items.length === 0) return html`<p>No deliveries match.</p>`;
  return html`<table class="list"><caption class="sr">Deliveries</caption>
    <thead><tr><th scope="col">created</th><th scope="col">channel</th><th scope="col">recipient</th><th scope="col">address</th><th scope="col">event type</th><th scope="col">status</th><th scope="col">attempts</th><th scope="col">delivery</th></tr></thead>
    <tbody>${items.map((d) => html`<tr class=${fresh?.has(d.id) ? 'fresh' : undefined} data-delivery=${d.id}>
      <td>${fmtTime(d.createdAt)}</td><td>${d.channel}</td><td><a href=${link(`/recipients/${encodeURIComponent(d.userId)}`)}>${d.userId}</a></td><td>${d.channelIdentifier ?? '—'}</td>
      <td>${d.eventType}</td><td><${Badge} value=${d.status} />${d.skipReason ? html` <span class="muted">${d.skipReason}</span>` : null}</td><td>${d.attempts}</td>
      <td><a href=${link(`/deliveries/${d.id}`)} aria-label=${`Timeline of the ${d.channel} delivery to ${d.userId}, ${d.status}`}>timeline</a></td></tr>`)}</tbody>
  </table>`;
}

/** Whether a delivery from the stream belongs in a list with these filters (the API's filters, applied to one row). */
function matches(d: Delivery, f: Record<(typeof FILTERS)[number], string>): boolean {
  const addr = (d.channelIdentifier ?? '').toLowerCase();
  return (!f.userId || d.userId === f.userId) && (!f.eventId || d.eventId === f.eventId) && (!f.eventType || d.eventType === f.eventType)
    && (!f.status || d.status === f.status) && (!f.channel || d.channel === f.channel)
    && (!f.phone || addr === f.phone.replace(/[\s().-]/g, '').toLowerCase()) && (!f.email || (d.channel === 'email' && addr === f.email.trim().toLowerCase()))
    && (!f.from || d.createdAt >= new Date(f.from).toISOString()) && (!f.to || d.createdAt < new Date(f.to).toISOString());
}

/**
 * A list kept current by the live stream: rows shown are replaced by their newer versions;
 * on the first page a new delivery matching the filters is added on top (newest first, as
 * the API orders); a row whose new status no longer matches a status filter stays, updated,
 * until the next search. `reset` from the gateway (missed changes) reloads the page quietly.
 */
function useLiveRows(loaded: Delivery[] | undefined, filters: Record<(typeof FILTERS)[number], string>, firstPage: boolean, refresh: () => void) {
  // The rows of the page as last loaded, with the stream's changes applied; a new load starts over.
  const [st, setSt] = useState<{ src: Delivery[] | undefined; rows: Delivery[]; added: number }>({ src: undefined, rows: [], added: 0 });
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const filtersRef = useRef(filters);
  filtersRef.current = filters;
  const current = st.src === loaded ? st : { src: loaded, rows: loaded ?? [], added: 0 };
  useLive((e) => {
    if (e.event === 'reset') return refresh();
    if (e.event !== 'delivery' || !loaded) return;
    const d = e.data as Delivery;
    setSt((prev) => {
      const s = prev.src === loaded ? prev : { src: loaded, rows: loaded, added: 0 };
      const i = s.rows.findIndex((r) => r.id === d.id);
      if (i >= 0) return s.rows[i]!.updatedAt > d.updatedAt ? s : { ...s, rows: s.rows.map((r, k) => (k === i ? d : r)) };
      if (!firstPage || !matches(d, filtersRef.current)) return s;
      const rows = [d, ...s.rows].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id)).slice(0, 100);
      return { ...s, rows, added: s.added + 1 };
    });
    setFresh((f) => new Set(f).add(d.id));
  });
  return { items: current.rows, fresh, added: current.added };
}

export function Deliveries({ route }: { route: Route }): VNode {
  const filters = Object.fromEntries(FILTERS.map((f) => [f, route.query.get(f) ?? ''])) as Record<(typeof FILTERS)[number], string>;
  const cursor = route.query.get('cursor') ?? '';
  const prev = route.query.getAll('prev');
  const [draft, setDraft] = useState(filters);
  const [state, , refresh] = useAsync(() => api<Page>(`/v1/deliveries${qs({ ...filters, limit: 25, cursor })}`), [route.query.toString()]);
  const live = useLiveRows(state.data?.items, filters, !cursor, refresh);
  const go = (f: Record<string, string>, page: { cursor?: string; prev?: string[] } = {}) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(f)) if (v) p.set(k, v);
    if (page.cursor) p.set('cursor', page.cursor);
    for (const c of page.prev ?? []) p.append('prev', c);
    navigate(`/deliveries?${p.toString()}`);
  };
  const field = (name: (typeof FILTERS)[number]) => {
    const id = `f-${name}`;
    const set = (v: string) => setDraft({ ...draft, [name]: v });
    if (name === 'status') {
      return html`<div class="field"><label for=${id}>${LABELS[name]}</label><select id=${id} name=${name} value=${draft.status} onChange=${(e: Event) => set((e.target as HTMLSelectElement).value)}>
        <option value="">any</option>${STATUSES.map((s) => html`<option value=${s}>${s}</option>`)}</select></div>`;
    }
    if (name === 'from' || name === 'to') {
      return html`<div class="field"><label for=${id}>${LABELS[name]}</label><input id=${id} name=${name} type="datetime-local" value=${toLocal(draft[name])} onInput=${(e: Event) => set(toIso((e.target as HTMLInputElement).value))} /></div>`;
    }
    return html`<div class="field"><label for=${id}>${LABELS[name]}</label><input id=${id} name=${name} value=${draft[name]} list=${name === 'channel' ? 'channels' : undefined} onInput=${(e: Event) => set((e.target as HTMLInputElement).value.trim())} /></div>`;
  };
  return html`<${PageTitle}>Deliveries<//>
    <form class="filters" role="search" aria-label="Search deliveries" onSubmit=${(e: Event) => { e.preventDefault(); go(draft); }}>
      ${FILTERS.map(field)}
      <datalist id="channels"><option value="sms" /><option value="email" /><option value="inapp" /></datalist>
      <div class="actions"><button type="submit">Search</button> <button type="button" class="secondary" onClick=${() => { setDraft(Object.fromEntries(FILTERS.map((f) => [f, ''])) as typeof draft); go({}); }}>Clear</button></div>
    </form>
    <${Show} state=${state}>${(page: Page) => html`
      <p class="muted" aria-live="polite" data-testid="live-note">${live.added > 0 ? `${live.added} new since the page loaded (live); ` : ''}${cursor ? 'Rows on this page update live; new deliveries appear on the first page.' : 'New deliveries and status changes appear here as they happen.'}</p>
      <${DeliveryTable} items=${live.items} fresh=${live.fresh} />
      <nav class="pager" aria-label="Pages of results">
        <button type="button" disabled=${prev.length === 0} onClick=${() => go(filters, { cursor: prev[prev.length - 1] ?? '', prev: prev.slice(0, -1) })}>Previous page</button>
        <button type="button" disabled=${!page.nextCursor} onClick=${() => go(filters, { cursor: page.nextCursor ?? '', prev: [...prev, cursor] })}>Next page</button>
      </nav>`}<//>`;
}

interface Step { at: string; what: string; status?: string | null; source?: string; note?: string }

/** Every dated fact of a delivery in one list, oldest first: creation, each status with its source, jobs, outcomes. */
function timeline(d: Detail): Step[] {
  const steps: Step[] = [{ at: d.createdAt, what: 'delivery created by the router', status: 'pending', source: 'router' }];
  if (d.event.scheduledFor) steps.push({ at: d.event.scheduledFor, what: 'event scheduled for', source: 'event' });
  for (const h of d.message?.history ?? []) {
    steps.push({ at: h.at, what: `SMS ${h.status}${h.twilioStatus && h.twilioStatus !== h.status ? ` (Twilio ${h.twilioStatus})` : ''}`, status: h.status, source: h.source,
      note: [h.attempt !== null ? `attempt ${h.attempt}` : '', h.errorCode !== null ? `error ${h.errorCode}` : '', h.applied ? '' : 'not applied (out of order or duplicate)'].filter(Boolean).join(', ') });
  }
  for (const e of d.emailMessage?.events ?? []) {
    steps.push({ at: e.at, what: `email ${e.event}`, status: e.status, source: e.source,
      note: [`attempt ${e.attempt}`, e.smtpStatus ? `SMTP ${e.smtpStatus}` : '', e.detail ?? '', e.applied ? '' : 'not applied'].filter(Boolean).join(', ') });
  }
  for (const j of d.schedule) steps.push({ at: j.dueAt, what: `${j.kind} job due`, status: j.status, source: 'scheduler' });
  if (d.deliveredAt) steps.push({ at: d.deliveredAt, what: 'delivered', status: 'delivered', source: 'delivery' });
  if (d.failedAt) steps.push({ at: d.failedAt, what: `failed${d.lastErrorCode ? ` (${d.lastErrorCode})` : ''}`, status: 'failed', source: 'delivery', note: d.lastError ?? '' });
  return steps.sort((a, b) => a.at.localeCompare(b.at));
}

export function DeliveryDetail({ id, canWrite }: { id: string; canWrite: boolean }): VNode {
  const [state, reload, refresh] = useAsync(() => api<Detail>(`/v1/deliveries/${encodeURIComponent(id)}`), [id]);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  // A change of this delivery or a new entry of its message's history: re-read it (at most every 300 ms).
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => { if (pending.current) clearTimeout(pending.current); }, []);
  useLive((e) => {
    const target = e.event === 'delivery' ? (e.data as Delivery).id : e.event === 'timeline' ? (e.data as { deliveryId: string }).deliveryId : e.event === 'reset' ? id : null;
    if (target !== id || pending.current) return;
    pending.current = setTimeout(() => {
      pending.current = null;
      refresh();
    }, 300);
  });
  const act = async (action: 'resend' | 'cancel') => {
    try {
      const r = await api<{ status: string }>(`/v1/deliveries/${encodeURIComponent(id)}/${action}`, { method: 'POST' });
      setOutcome({ ok: true, text: action === 'resend' ? `Resend scheduled: the delivery is now ${r.status}.` : 'The delivery was cancelled.' });
      reload();
    } catch (e) {
      setOutcome({ ok: false, text: describeError(e) });
    }
  };
  return html`<${PageTitle}>Delivery<//>
    <${Show} state=${state}>${(d: Detail) => html`
      <dl class="facts">
        <dt>status</dt><dd data-testid="delivery-status"><${Badge} value=${d.status} />${d.skipReason ? ` (${d.skipReason})` : ''}</dd>
        <dt>channel</dt><dd>${d.channel} → ${d.channelIdentifier ?? '—'}</dd>
        <dt>recipient</dt><dd><a href=${link(`/recipients/${encodeURIComponent(d.userId)}`)}>${d.userId}</a></dd>
        <dt>event</dt><dd><a href=${link(`/events/${encodeURIComponent(d.eventId)}`)}>${d.eventId}</a> (${d.eventType}, ${d.event.priority})</dd>
        <dt>attempts</dt><dd>${d.attempts}${d.message ? ` (SMS ${d.message.attemptCount} of ${d.message.maxAttempts})` : ''}${d.emailMessage ? ` (email ${d.emailMessage.attemptCount} of ${d.emailMessage.maxAttempts})` : ''}</dd>
        ${d.message?.nextRetryAt || d.emailMessage?.nextRetryAt ? html`<dt>next retry</dt><dd>${fmtTime(d.message?.nextRetryAt ?? d.emailMessage?.nextRetryAt)}</dd>` : null}
        ${d.message ? html`<dt>SMS</dt><dd><q>${d.message.text ?? ''}</q> — ${d.message.segments} segment(s), ${d.message.encoding}${d.message.templateKey ? `, template ${d.message.templateKey}` : ''}</dd>` : null}
        ${d.emailMessage ? html`<dt>email</dt><dd><q>${d.emailMessage.subject}</q> to ${d.emailMessage.to}${d.emailMessage.smtpResponse ? ` — ${d.emailMessage.smtpResponse}` : ''}</dd>` : null}
        ${d.lastError ? html`<dt>last error</dt><dd>${d.lastErrorCode ?? ''} ${d.lastError}</dd>` : null}
      </dl>
      <div class="actions">
        <button type="button" onClick=${() => act('resend')} disabled=${!canWrite} aria-describedby=${canWrite ? undefined : 'ro-note'}>Resend</button>
        <button type="button" class="danger" onClick=${() => act('cancel')} disabled=${!canWrite} aria-describedby=${canWrite ? undefined : 'ro-note'}>Cancel delivery</button>
        ${canWrite ? null : html`<span id="ro-note" class="muted">read-only key (admin:read)</span>`}
      </div>
      <${Outcome} value=${outcome} />
      <h2>Timeline</h2>
      <ol class="timeline" aria-label="Timeline, oldest first">${timeline(d).map((s) => html`<li>
        <time datetime=${s.at}>${fmtTime(s.at)}</time> <strong>${s.what}</strong> ${s.status ? html`<${Badge} value=${s.status} />` : null}
        ${s.source ? html` <span class="source">source: ${s.source}</span>` : null}${s.note ? html` <span class="muted">${s.note}</span>` : null}</li>`)}</ol>`}<//>`;
}
