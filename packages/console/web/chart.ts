import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import type { VNode } from 'preact';
import uPlot from 'uplot';

/** A uPlot line chart; its figures are also given as a table next to it (the canvas is an image). */

const COLORS = ['#1f5fbf', '#b3261e', '#2e7d32', '#6a1b9a', '#e65100', '#00695c'];

export interface Series { label: string; values: (number | null)[] }

export function LineChart({ title, x, series, yLabel, percent }: { title: string; x: number[]; series: Series[]; yLabel: string; percent?: boolean }): VNode {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(280, Math.min(560, el.clientWidth || 560)),
      height: 220,
      legend: { show: false },
      cursor: { show: true },
      scales: { x: { time: true }, y: percent ? { range: [0, 1] } : { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: [{}, { label: yLabel, values: (_u, ticks) => ticks.map((t) => (percent ? `${Math.round(t * 100)}%` : String(t))) }],
      series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 2, points: { show: true } }))],
    };
    const plot = new uPlot(opts, [x, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    return () => plot.destroy();
  }, [JSON.stringify([x, series])]);
  return html`<figure class="chart">
    <figcaption>${title}</figcaption>
    <div ref=${ref} role="img" aria-label=${`${title}: chart; the same figures are in the table below`}></div>
    <ul class="legend">${series.map((s, i) => html`<li><span class=${`swatch c${i % COLORS.length}`}></span>${s.label}</li>`)}</ul>
  </figure>`;
}
