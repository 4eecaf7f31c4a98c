import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { VNode } from 'preact';
import { describeError } from './api.ts';

/** Shared bits of the console's pages. */

export const fmtTime = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }) : '—');
export const pct = (r: number | null | undefined): string => (r === null || r === undefined ? '—' : `${(r * 100).toFixed(1)} %`);

/** A status in words with a colour class (never colour alone). */
export const Badge = ({ value }: { value: string | null | undefined }): VNode => html`<span class=${`badge b-${value ?? 'none'}`}>${value ?? '—'}</span>`;

export type Async<T> = { loading: true; data?: undefined; error?: undefined } | { loading: false; data: T; error?: undefined } | { loading: false; data?: undefined; error: string };

/**
 * Runs `load` whenever `deps` change; the latest answer wins. Returns the state, `reload`
 * (shows Loading… again) and `refresh` (keeps the page as it is until the new answer is in:
 * live updates use it, so the page does not flicker or lose focus).
 */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): [Async<T>, () => void, () => void] {
  const [state, setState] = useState<Async<T>>({ loading: true });
  const [tick, setTick] = useState(0);
  const silent = useRef(false);
  useEffect(() => {
    let live = true;
    if (!silent.current) setState({ loading: true });
    silent.current = false;
    load().then((data) => live && setState({ loading: false, data }), (e: unknown) => live && setState({ loading: false, error: describeError(e) }));
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return [state, () => setTick((t) => t + 1), () => {
    silent.current = true;
    setTick((t) => t + 1);
  }];
}

export function Show<T>({ state, children }: { state: Async<T>; children: (data: T) => VNode | VNode[] | string | null }): VNode {
  if (state.loading) return html`<p class="muted" role="status">Loading…</p>`;
  if (state.error !== undefined) return html`<p class="error" role="alert">${state.error}</p>`;
  return html`${children(state.data)}`;
}

/** The page's heading, focused on navigation so keyboard and screen-reader users land on it. */
export function PageTitle({ children }: { children: unknown }): VNode {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return html`<h1 tabindex="-1" ref=${ref}>${children}</h1>`;
}

/** A live region for the outcome of an action (buttons): success as status, refusals as alert. */
export function Outcome({ value }: { value: { ok: boolean; text: string } | null }): VNode {
  return html`<div class="outcome" aria-live="polite">${value ? html`<p class=${value.ok ? 'ok' : 'error'} role=${value.ok ? 'status' : 'alert'}>${value.text}</p>` : null}</div>`;
}

export const link = (path: string): string => `#${path}`;
