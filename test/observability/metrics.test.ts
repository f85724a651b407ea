import { X509Certificate } from 'node:crypto';
import { Metrics } from '../../src/observability/metrics.js';
import { FakeApiServer, testClusterSources } from '../support/fake-apiserver.js';
import { admissionReview, cleanupGitrepoJobsCronJob, fleetControllerDeployment, gitjobJob, shardDeployment } from '../support/fixtures.js';
import { makePki, post } from '../support/tls.js';
import { getHealth, startTestServer } from '../support/server.js';
import { eventually } from '../support/eventually.js';

/** Parses the Prometheus text format into TYPE lines and samples. */
function parseMetrics(text: string) {
  const types = new Map<string, string>();
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    const t = line.match(/^# TYPE (\S+) (\S+)/);
    if (t) types.set(t[1], t[2]);
    if (!line || line.startsWith('#')) continue;
    const m = line.match(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/);
    if (!m) continue;
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  const value = (name: string, labels: Record<string, string> = {}) =>
    samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);
  return { types, samples, value };
}

test('admission metrics: names, types and label values after real admissions over TLS', async () => {
  const metrics = new Metrics();
  const s = await startTestServer({}, { metrics });
  try {
    const send = (body: unknown) => post({ ca: s.pki.ca.cert, port: s.webhook.port, body: typeof body === 'string' ? body : JSON.stringify(body) });
    await send(admissionReview(gitjobJob()));
    await send(admissionReview(shardDeployment('a')));
    await send(admissionReview(gitjobJob(), { operation: 'UPDATE' }));
    await send('{not json');
    const m = parseMetrics((await getHealth(s.webhook.healthPort, '/metrics')).body);
    expect(m.types.get('fleet_webhook_admission_requests_total')).toBe('counter');
    expect(m.types.get('fleet_webhook_admission_duration_seconds')).toBe('histogram');
    expect(m.value('fleet_webhook_admission_requests_total', { kind: 'Job', operation: 'CREATE', mode: 'enforce', result: 'mutated' })).toBe(1);
    expect(m.value('fleet_webhook_admission_requests_total', { kind: 'Job', operation: 'UPDATE', mode: 'none', result: 'ignored' })).toBe(1);
    expect(m.value('fleet_webhook_admission_duration_seconds_count', { kind: 'Deployment', mode: 'enforce' })).toBe(1);
    expect(m.value('fleet_webhook_admission_duration_seconds_sum', { kind: 'Deployment', mode: 'enforce' })).toBeGreaterThan(0);
    expect(m.value('fleet_webhook_admission_duration_seconds_bucket', { kind: 'Deployment', mode: 'enforce', le: '+Inf' })).toBe(1);
    expect(m.value('fleet_webhook_mutations_total', { kind: 'Deployment', change: 'selector' })).toBe(1);
    expect(m.value('fleet_webhook_mutations_total', { kind: 'Job', change: 'tolerations' })).toBe(1);
    expect(m.value('fleet_webhook_mutations_total', { kind: 'Job', change: 'selector' })).toBe(0);
    expect(m.value('fleet_webhook_http_errors_total', { code: '400' })).toBe(1);
    expect(m.value('fleet_webhook_controller_tolerations')).toBe(3);
    const notAfter = Date.parse(new X509Certificate(s.pki.serving.cert).validTo) / 1000;
    expect(m.value('fleet_webhook_certificate_expiry_timestamp_seconds')).toBe(notAfter);
    expect(m.types.get('process_cpu_seconds_total')).toBe('counter');
    expect(m.types.get('nodejs_heap_size_used_bytes')).toBe('gauge');
    // Runtime metrics are all read at scrape time: lag and utilization are measured then, and the
    // timer-driven delay histogram and the per-GC observer of prom-client's defaults are absent.
    expect(m.value('nodejs_eventloop_lag_seconds')).toBeGreaterThan(0);
    expect(m.value('nodejs_eventloop_lag_seconds')).toBeLessThan(1);
    expect(m.value('nodejs_eventloop_utilization')).toBeGreaterThan(0);
    expect(m.value('nodejs_eventloop_utilization')).toBeLessThanOrEqual(1);
    expect([...m.types.keys()].filter((name) => /^nodejs_(gc_duration|eventloop_lag_p\d+)/.test(name))).toEqual([]);
    // bounded cardinality: no object or namespace names in any label
    for (const sample of m.samples) expect(JSON.stringify(sample.labels)).not.toMatch(/fleet-examples|fleet-default|shard/);
  } finally {
    await s.webhook.shutdown();
  }
});

test('audit mode counts would-be mutations, not mutations', async () => {
  const metrics = new Metrics();
  const s = await startTestServer({ mode: 'audit' }, { metrics });
  try {
    await post({ ca: s.pki.ca.cert, port: s.webhook.port, body: JSON.stringify(admissionReview(cleanupGitrepoJobsCronJob())) });
    const m = parseMetrics((await metrics.expose()).body);
    expect(m.value('fleet_webhook_audit_would_mutate_total', { kind: 'CronJob', change: 'component-label' })).toBe(1);
    expect(m.value('fleet_webhook_mutations_total')).toBe(0);
    expect(m.value('fleet_webhook_admission_requests_total', { result: 'audited', mode: 'audit' })).toBe(1);
  } finally {
    await s.webhook.shutdown();
  }
});

test('source metrics: last sync time, watch restarts by reason, connection state', async () => {
  const pki = await makePki();
  const api = new FakeApiServer({ cert: pki.serving.cert, key: pki.serving.key, ca: pki.ca.cert });
  await api.start();
  api.namespace('fleet-default', { 'fleet-webhook.io/mode': 'enforce' });
  api.upsert('deployments', fleetControllerDeployment());
  const metrics = new Metrics();
  const sources = await testClusterSources(api, {
    hooks: { onRestart: (src, r) => metrics.sourceRestarted(src, r), onSync: (src) => metrics.sourceSynced(src) },
  });
  const s = await startTestServer({}, { sources, metrics }, pki);
  try {
    await eventually(() => api.openWatches() === 2);
    const before = Date.now() / 1000;
    api.dropWatches();
    await eventually(() => api.openWatches() === 2);
    let m = parseMetrics((await metrics.expose()).body);
    expect(m.value('fleet_webhook_watch_restarts_total', { source: 'namespaces', reason: 'error' })).toBeGreaterThanOrEqual(1);
    expect(m.value('fleet_webhook_source_last_sync_timestamp_seconds', { source: 'controller' })).toBeGreaterThan(before - 30);
    expect(m.value('fleet_webhook_source_connected', { source: 'namespaces' })).toBe(1);
    expect(m.value('fleet_webhook_controller_tolerations')).toBe(3);
    api.delete('deployments', 'cattle-fleet-system', 'fleet-controller');
    await eventually(async () => expect(parseMetrics((await metrics.expose()).body).value('fleet_webhook_controller_tolerations')).toBe(-1));
    await api.stop();
    await eventually(async () => {
      m = parseMetrics((await metrics.expose()).body);
      expect(m.value('fleet_webhook_source_connected', { source: 'namespaces' })).toBe(0);
    });
  } finally {
    await s.webhook.shutdown();
    await api.stop();
  }
});
