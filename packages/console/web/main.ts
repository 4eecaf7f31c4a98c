import { html, render } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import type { VNode } from 'preact';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { ApiError, api, describeError, probeWrite, session } from './api.ts';
import { Deliveries, DeliveryDetail } from './deliveries.ts';
import { Events } from './events.ts';
import { Overview } from './overview.ts';
import { Recipients } from './recipients.ts';
import { startLive, stopLive, useLiveStatus, type LiveStatus } from './live.ts';
import { useRoute } from './router.ts';
import { Templates } from './templates.ts';

/** The console's shell: login (an admin API key kept in sessionStorage only), navigation, pages. */

function Login({ onIn }: { onIn: (canWrite: boolean) => void }): VNode {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api('/v1/metrics/channels?days=1', { key });
      const canWrite = await probeWrite(key);
      session.set(key);
      onIn(canWrite);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 403 ? 'This key has no admin scope: the console needs admin:read (or admin:write).' : describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return html`<main id="main" class="login">
    <h1>Notification Hub console</h1>
    <form onSubmit=${submit} aria-describedby="login-help">
      <label for="api-key">Admin API key</label>
      <input id="api-key" name="api-key" type="password" autocomplete="off" spellcheck="false" required value=${key} onInput=${(e: Event) => setKey((e.target as HTMLInputElement).value)} />
      <button type="submit" disabled=${busy}>Log in</button>
      <p id="login-help" class="muted">Paste a key with the admin:read scope (read-only) or admin:write. It is kept in this tab's session storage only and forgotten when the tab closes.</p>
      ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    </form></main>`;
}

const NAV = [['/overview', 'Overview'], ['/deliveries', 'Deliveries'], ['/events', 'Events'], ['/recipients', 'Recipients'], ['/templates', 'Templates']] as const;

function Page({ canWrite }: { canWrite: boolean }): VNode {
  const route = useRoute();
  const [, section, a, b] = route.path.split('/').map((s) => decodeURIComponent(s));
  switch (section) {
    case 'deliveries': return a ? html`<${DeliveryDetail} key=${a} id=${a} canWrite=${canWrite} />` : html`<${Deliveries} route=${route} />`;
    case 'events': return html`<${Events} key=${a ?? ''} id=${a} canWrite=${canWrite} />`;
    case 'recipients': return html`<${Recipients} key=${a ?? ''} id=${a} canWrite=${canWrite} />`;
    case 'templates': return html`<${Templates} channel=${a} keyName=${b} canWrite=${canWrite} />`;
    default: return html`<${Overview} />`;
  }
}

const LIVE_WORDS: Record<LiveStatus, string> = {
  connecting: 'Live: connecting…', live: 'Live', reconnecting: 'Live: reconnecting…', refused: 'Live updates refused for this key', off: 'Live updates off',
};

/** Whether changes arrive by themselves: words, not only a colour. */
function LiveIndicator(): VNode {
  const s = useLiveStatus();
  return html`<span class=${`live l-${s}`} role="status" data-testid="live-status">${LIVE_WORDS[s]}</span>`;
}

function App(): VNode {
  const [state, setState] = useState<{ in: boolean; canWrite: boolean }>(() => ({ in: session.key() !== null, canWrite: false }));
  const route = useRoute();
  // A reload keeps the session's key: ask again whether it may write.
  useEffect(() => {
    const key = session.key();
    if (key) void probeWrite(key).then((canWrite) => setState((s) => (s.in ? { in: true, canWrite } : s)));
  }, []);
  useEffect(() => {
    if (state.in) startLive();
    else stopLive();
  }, [state.in]);
  if (!state.in) return html`<${Login} onIn=${(canWrite: boolean) => setState({ in: true, canWrite })} />`;
  const section = `/${route.path.split('/')[1] ?? 'overview'}`;
  return html`<a class="skip" href="#main" onClick=${(e: Event) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to content</a>
    <header><span class="brand">Notification Hub</span>
      <nav aria-label="Console"><ul>${NAV.map(([path, label]) => html`<li><a href=${`#${path}`} aria-current=${section === path ? 'page' : undefined}>${label}</a></li>`)}</ul></nav>
      <${LiveIndicator} />
      <span class="who">${state.canWrite ? 'admin:write' : 'admin:read (read-only)'}</span>
      <button type="button" class="secondary" onClick=${() => { session.clear(); setState({ in: false, canWrite: false }); }}>Log out</button>
    </header>
    <main id="main" tabindex="-1"><${Page} canWrite=${state.canWrite} /></main>`;
}

render(html`<${App} />`, document.getElementById('app')!);
