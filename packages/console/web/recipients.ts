import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { VNode } from 'preact';
import { api, describeError, qs } from './api.ts';
import { DeliveryTable, type Delivery } from './deliveries.ts';
import { LookupForm } from './events.ts';
import { navigate } from './router.ts';
import { Badge, Outcome, PageTitle, Show, fmtTime, useAsync } from './ui.ts';

/** Recipients: one recipient's channels, verification, preferences, subscriptions and recent deliveries; admin opt-out / opt-in. */

interface User {
  externalId: string; timezone: string; locale: string; createdAt: string;
  sms: { phoneNumber: string | null; phoneVerified: boolean; optedOut: boolean } | null;
  email: { address: string | null; verified: boolean; optedOut: boolean; undeliverable: boolean; undeliverableReason: string | null } | null;
  channels: { channel: string; address: string | null; verified: boolean; available: boolean; reason: string | null }[];
}
interface OptEntry { at: string; channel: string; action: 'opt_out' | 'opt_in'; scope: string; source: string; address: string; keyword: string | null; detail: string | null; actor: string | null }
interface Subscription { eventType: string; channels: string[]; active: boolean }

const yes = (b: boolean | undefined) => (b ? 'yes' : 'no');

function RecipientView({ id, canWrite }: { id: string; canWrite: boolean }): VNode {
  const enc = encodeURIComponent(id);
  const [state, reload] = useAsync(() => Promise.all([
    api<User>(`/v1/users/${enc}`),
    api<{ items: Subscription[] }>(`/v1/users/${enc}/subscriptions`),
    api<Record<string, unknown>>(`/v1/users/${enc}/sms-preferences`).catch(() => null),
    api<{ items: Delivery[] }>(`/v1/deliveries${qs({ userId: id, limit: 10 })}`),
    api<{ items: OptEntry[] }>(`/v1/users/${enc}/opt-out-history${qs({ limit: 50 })}`),
  ]), [id]);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const opt = async (channel: 'sms' | 'email', action: 'opt-out' | 'opt-in') => {
    try {
      const path = channel === 'sms' ? `/v1/users/${enc}/sms-preferences/${action}` : `/v1/users/${enc}/email/${action}`;
      const r = await api<{ optedOut: boolean; cancelledDeliveries?: number }>(path, { method: 'POST', body: {} });
      setOutcome({ ok: true, text: `${channel}: ${r.optedOut ? 'opted out' : 'opted in'}${r.cancelledDeliveries ? `, ${r.cancelledDeliveries} waiting deliveries cancelled` : ''} (audited).` });
      reload();
    } catch (e) {
      setOutcome({ ok: false, text: describeError(e) });
    }
  };
  return html`<${Show} state=${state}>${([u, subs, prefs, recent, history]: [User, { items: Subscription[] }, Record<string, unknown> | null, { items: Delivery[] }, { items: OptEntry[] }]) => html`
    <h2>${u.externalId}</h2>
    <p>Timezone ${u.timezone}, locale ${u.locale}, since ${fmtTime(u.createdAt)}.</p>
    <table><caption>Channels</caption>
      <thead><tr><th scope="col">channel</th><th scope="col">address</th><th scope="col">verified</th><th scope="col">available</th><th scope="col">why not</th></tr></thead>
      <tbody>${u.channels.map((c) => html`<tr><th scope="row">${c.channel}</th><td>${c.address ?? '—'}</td><td>${yes(c.verified)}</td><td>${yes(c.available)}</td><td>${c.reason ?? ''}</td></tr>`)}</tbody>
    </table>
    <dl class="facts">
      <dt>SMS</dt><dd>${u.sms ? `${u.sms.phoneNumber ?? 'no number'}, verified ${yes(u.sms.phoneVerified)}, opted out ${yes(u.sms.optedOut)}` : 'no SMS state'}</dd>
      <dt>email</dt><dd>${u.email ? `${u.email.address ?? 'no address'}, verified ${yes(u.email.verified)}, opted out ${yes(u.email.optedOut)}${u.email.undeliverable ? `, undeliverable (${u.email.undeliverableReason ?? ''})` : ''}` : 'no email state'}</dd>
      ${prefs ? html`<dt>SMS preferences</dt><dd><code>${JSON.stringify(prefs)}</code></dd>` : null}
    </dl>
    <div class="actions">
      <button type="button" disabled=${!canWrite} onClick=${() => opt('sms', u.sms?.optedOut ? 'opt-in' : 'opt-out')}>${u.sms?.optedOut ? 'Opt in to SMS' : 'Opt out of SMS'}</button>
      <button type="button" disabled=${!canWrite} onClick=${() => opt('email', u.email?.optedOut ? 'opt-in' : 'opt-out')}>${u.email?.optedOut ? 'Opt in to email' : 'Opt out of email'}</button>
    </div>
    <${Outcome} value=${outcome} />
    <h3>Subscriptions</h3>
    ${subs.items.length === 0 ? html`<p>None.</p>` : html`<ul>${subs.items.map((s) => html`<li>${s.eventType}: ${s.channels.join(', ')} ${s.active ? '' : html`<${Badge} value="paused" />`}</li>`)}</ul>`}
    <h3>Recent deliveries</h3>
    <${DeliveryTable} items=${recent.items} />
    <h3>Opt-out history</h3>
    ${history.items.length === 0 ? html`<p>No opt-out or opt-in recorded.</p>` : html`<table data-testid="opt-history"><caption class="sr">Opt-outs and opt-ins, newest first</caption>
      <thead><tr><th scope="col">when</th><th scope="col">channel</th><th scope="col">change</th><th scope="col">scope</th><th scope="col">how</th><th scope="col">address</th><th scope="col">by</th></tr></thead>
      <tbody>${history.items.map((h) => html`<tr><td>${fmtTime(h.at)}</td><td>${h.channel}</td><td><${Badge} value=${h.action === 'opt_out' ? 'opted out' : 'opted in'} /></td><td>${h.scope}</td>
        <td>${h.source}${h.keyword ? ` (${h.keyword})` : ''}</td><td>${h.address}</td><td>${h.actor ?? '—'}</td></tr>`)}</tbody></table>`}`}<//>`;
}

export function Recipients({ id, canWrite }: { id: string | undefined; canWrite: boolean }): VNode {
  return html`<${PageTitle}>Recipients<//>
    <${LookupForm} label="Recipient id" id="recipient-id" initial=${id ?? ''} onGo=${(v: string) => navigate(`/recipients/${encodeURIComponent(v)}`)} />
    ${id ? html`<${RecipientView} id=${id} canWrite=${canWrite} />` : html`<p class="muted">Enter a recipient's external id (the upstream system's user id).</p>`}`;
}
