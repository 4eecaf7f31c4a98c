/**
 * ops/grafana/notification-hub.json: valid dashboard JSON whose every query reads a metric the
 * code registers with prom-client (or a prom-client default metric, or a recording rule of
 * ops/prometheus/rules), so a renamed metric breaks this test rather than a panel.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultProcessMetrics, isKnown, metricsInQuery, recordingRuleNames, registeredHubMetrics, ROOT } from './ops-metric-names.ts';

interface Panel { id: number; title: string; gridPos: { x: number; y: number; w: number; h: number }; targets?: { refId: string; expr: string }[] }
const dashboard = JSON.parse(readFileSync(join(ROOT, 'ops/grafana/notification-hub.json'), 'utf8')) as { uid: string; panels: Panel[] };

describe('Grafana dashboard', () => {
  it('has panels with queries, unique ids, inside the 24-column grid', () => {
    expect(dashboard.uid).toBe('notification-hub');
    expect(dashboard.panels.length).toBeGreaterThan(10);
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    for (const p of dashboard.panels) {
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
    }
  });

  it('queries only metrics the code registers (or recording rules)', async () => {
    const known = new Set([...registeredHubMetrics(), ...(await defaultProcessMetrics()), ...recordingRuleNames()]);
    const used = dashboard.panels.flatMap((p) => (p.targets ?? []).flatMap((t) => metricsInQuery(t.expr).map((name) => ({ panel: p.title, name }))));
    expect(used.length).toBeGreaterThan(20);
    expect(used.filter((u) => !isKnown(u.name, known))).toEqual([]);
  });

  it('the name check itself rejects an unregistered metric', async () => {
    const known = new Set([...registeredHubMetrics(), ...(await defaultProcessMetrics())]);
    expect(isKnown('hub_sms_sent_totally_made_up', known)).toBe(false);
    expect(isKnown('hub_provider_request_duration_seconds_bucket', known)).toBe(true);
    expect(metricsInQuery('sum by (le) (rate(hub_x_bucket{service="a"}[5m])) / hub:y:ratio5m')).toEqual(['hub_x_bucket', 'hub:y:ratio5m']);
  });
});
