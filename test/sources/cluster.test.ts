import { FakeApiServer, TOKEN, testClusterSources } from '../support/fake-apiserver.js';
import type { ClusterSources } from '../../src/sources/cluster/index.js';
import { admissionReview, CATTLE_OS, CONTROL_PLANE, DEDICATED, fleetControllerDeployment, gitjobJob } from '../support/fixtures.js';
import { makePki, post, type TestPki } from '../support/tls.js';
import { decodePatch } from '../support/patch.js';
import { getHealth, startTestServer, type TestServer } from '../support/server.js';
import { eventually } from '../support/eventually.js';
import { memoryLogger } from '../support/logger.js';
import type { Logger } from 'pino';
import { Metrics } from '../../src/observability/metrics.js';
import type { RestartReason } from '../../src/sources/cluster/reflector.js';

const MODE = 'fleet-webhook.io/mode';
let pki: TestPki;
beforeAll(async () => {
  pki = await makePki();
});

interface Harness {
  api: FakeApiServer;
  sources: ClusterSources;
  server: TestServer;
  restarts: RestartReason[];
  admit(obj?: any): Promise<any>;
  ready(): Promise<{ status: number; body: string }>;
  stop(): Promise<void>;
}

async function harness(opts: { apiDown?: boolean; resyncMs?: number; seed?: (api: FakeApiServer) => void; log?: Logger; metrics?: Metrics } = {}): Promise<Harness> {
  const api = new FakeApiServer({ cert: pki.serving.cert, key: pki.serving.key, ca: pki.ca.cert });
  if (opts.apiDown) await api.reservePort();
  else await api.start();
  (opts.seed ?? defaultSeed)(api);
  const restarts: RestartReason[] = [];
  const sources = await testClusterSources(api, {
    resyncMs: opts.resyncMs ?? 60_000,
    ...(opts.log ? { log: opts.log } : {}),
    watchdogMs: 700,
    backoffInitialMs: 40,
    backoffMaxMs: 300,
    namespaceLookupTimeoutMs: 500,
    listTimeoutMs: 400,
    hooks: { onRestart: (_s, reason) => restarts.push(reason), onNamespaceLookup: (result) => opts.metrics?.namespaceLookedUp(result) },
  });
  const server = await startTestServer({ ownNamespace: 'fleet-webhook-system' }, { sources, metrics: opts.metrics }, pki);
  return {
    api,
    sources,
    server,
    restarts,
    admit: async (obj = gitjobJob()) => (await post({ ca: pki.ca.cert, port: server.webhook.port, body: JSON.stringify(admissionReview(obj)) })).json().response,
    ready: () => getHealth(server.webhook.healthPort, '/readyz'),
    stop: async () => {
      await server.webhook.shutdown();
      await api.stop();
    },
  };
}

function defaultSeed(api: FakeApiServer) {
  api.namespace('fleet-default', { [MODE]: 'enforce' });
  api.namespace('cattle-fleet-system', { [MODE]: 'enforce' });
  api.namespace('fleet-webhook-system', { [MODE]: 'enforce' });
  api.namespace('not-opted-in');
  api.upsert('deployments', fleetControllerDeployment());
}

const tolerationsAdded = (response: any) => decodePatch(response).filter((op) => op.path.includes('tolerations')).map((op) => op.value);

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe('live cluster sources', () => {
  test('list and watch requests use selectors, bookmarks, a server-side timeout and the kubeconfig token', async () => {
    h = await harness();
    await eventually(() => h!.api.openWatches() === 2);
    const nsWatch = h.api.watchRequests('namespaces')[0];
    expect(nsWatch.query).toMatchObject({ labelSelector: MODE, allowWatchBookmarks: 'true' });
    expect(Number(nsWatch.query.timeoutSeconds)).toBeGreaterThanOrEqual(4);
    expect(Number(nsWatch.query.timeoutSeconds)).toBeLessThanOrEqual(6);
    const depWatch = h.api.watchRequests('deployments')[0];
    expect(depWatch.path).toBe('/apis/apps/v1/namespaces/cattle-fleet-system/deployments');
    expect(depWatch.query).toMatchObject({ fieldSelector: 'metadata.name=fleet-controller', allowWatchBookmarks: 'true' });
    expect(h.api.requests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  test('readiness waits for the first list; admissions use the live tolerations and namespace modes', async () => {
    h = await harness();
    await eventually(async () => (await h!.ready()).status === 200);
    expect((await h.ready()).body).toMatch(/\[\+\] source namespaces: synced/);
    expect(tolerationsAdded(await h.admit())).toEqual([CONTROL_PLANE, DEDICATED]);
    // not opted in, and the webhook's own namespace even though it is labelled
    expect((await h.admit(gitjobJob('r', 'aaaaa', 'not-opted-in'))).patch).toBeUndefined();
    expect((await h.admit(gitjobJob('r', 'aaaaa', 'fleet-webhook-system'))).patch).toBeUndefined();
  });

  test('a changed controller toleration is used by the next admission', async () => {
    h = await harness();
    await eventually(async () => (await h!.ready()).status === 200);
    const extra = { key: 'example.com/new-taint', operator: 'Exists', effect: 'NoSchedule' };
    h.api.upsert('deployments', fleetControllerDeployment([CATTLE_OS, extra]));
    await eventually(async () => expect(tolerationsAdded(await h!.admit())).toEqual([extra]));
  });

  test('controller tolerations the webhook cannot read are reported in every admission, not dropped silently', async () => {
    const logs = memoryLogger('info');
    h = await harness({ log: logs.log });
    await eventually(async () => (await h!.ready()).status === 200);
    const unreadable = fleetControllerDeployment();
    unreadable.spec.template.spec.tolerations = [{ key: 7, operator: 'Exists' }];
    h.api.upsert('deployments', unreadable);
    const r = await eventually(async () => {
      const r = await h!.admit();
      expect(r.warnings?.[0]).toBe('fleet-webhook: controller cattle-fleet-system/fleet-controller tolerations unreadable; no controller tolerations added');
      return r;
    });
    expect(tolerationsAdded(r)).toEqual([]);
    expect(logs.lines().find((l) => l.msg === 'no controller tolerations to add')).toMatchObject({
      level: 40,
      reason: 'tolerations unreadable: cattle-fleet-system/fleet-controller: toleration 0 field key must be a string',
    });
    h.api.upsert('deployments', fleetControllerDeployment());
    await eventually(async () => expect(tolerationsAdded(await h!.admit())).toEqual([CONTROL_PLANE, DEDICATED]));
    expect((await h.admit()).warnings).toBeUndefined();
  });

  test('a deleted and re-created controller Deployment', async () => {
    h = await harness();
    await eventually(async () => (await h!.ready()).status === 200);
    h.api.delete('deployments', 'cattle-fleet-system', 'fleet-controller');
    const missing = await eventually(async () => {
      const r = await h!.admit();
      expect(r.warnings?.[0]).toMatch(/controller cattle-fleet-system\/fleet-controller not found/);
      return r;
    });
    expect(tolerationsAdded(missing)).toEqual([]); // no controller tolerations, but the label still comes
    expect(decodePatch(missing).some((op) => op.path === '/spec/template/metadata/labels')).toBe(true);
    h.api.upsert('deployments', fleetControllerDeployment());
    await eventually(async () => expect(tolerationsAdded(await h!.admit())).toEqual([CONTROL_PLANE, DEDICATED]));
    expect((await h.admit()).warnings).toBeUndefined();
  });

  test('a namespace relabelled from enforce to audit changes the response; removing the label stops mutation', async () => {
    h = await harness();
    await eventually(async () => (await h!.ready()).status === 200);
    expect((await h.admit()).patchType).toBe('JSONPatch');
    h.api.namespace('fleet-default', { [MODE]: 'audit' });
    const audited = await eventually(async () => {
      const r = await h!.admit();
      expect(r.patch).toBeUndefined();
      expect(r.auditAnnotations?.['would-mutate']).toBe('tolerations+2,component-label');
      return r;
    });
    expect(audited.warnings.join('\n')).toMatch(/fleet-webhook audit: would add 2 tolerations/);
    h.api.namespace('fleet-default', {});
    await eventually(async () => expect(await h!.admit()).toEqual({ uid: expect.any(String), allowed: true }));
    h.api.delete('namespaces', undefined, 'cattle-fleet-system');
    await eventually(() => h!.sources.namespaces.modeFor('cattle-fleet-system') === undefined);
  });

  describe('a namespace the watch has not delivered yet (labelled just before the workload was created)', () => {
    const lookups = (api: FakeApiServer, name: string) => api.requests.filter((r) => r.path === `/api/v1/namespaces/${name}`).length;

    test('is read from the API server once, and the workload is mutated by its mode', async () => {
      const metrics = new Metrics();
      h = await harness({ metrics });
      await eventually(async () => (await h!.ready()).status === 200);
      h.api.upsert('namespaces', { metadata: { name: 'fresh', labels: { [MODE]: 'enforce' } } }, true);
      h.api.upsert('namespaces', { metadata: { name: 'fresh-audit', labels: { [MODE]: 'audit' } } }, true);
      expect(h.sources.namespaces.modeFor('fresh')).toBeUndefined();

      const [first, second] = await Promise.all([h.admit(gitjobJob('r', 'aaaaa', 'fresh')), h.admit(gitjobJob('r', 'bbbbb', 'fresh'))]);
      for (const r of [first, second]) expect(tolerationsAdded(r)).toEqual([CONTROL_PLANE, DEDICATED]);
      expect((await h.admit(gitjobJob('r', 'ccccc', 'fresh'))).patchType).toBe('JSONPatch');
      expect(lookups(h.api, 'fresh')).toBe(1); // concurrent admissions share one read, later ones use its answer

      const audited = await h.admit(gitjobJob('r', 'aaaaa', 'fresh-audit'));
      expect(audited.patch).toBeUndefined();
      expect(audited.warnings).toContainEqual(expect.stringMatching(/^fleet-webhook audit: would add 2 tolerations/));

      const text = (await metrics.expose()).body;
      expect(text).toMatch(/fleet_webhook_namespace_lookups_total\{result="opted_in"\} 2/);
    });

    test('a namespace that has not opted in is read once and then remembered, not read per request', async () => {
      h = await harness();
      await eventually(async () => (await h!.ready()).status === 200);
      h.api.namespace('plain');
      for (let i = 0; i < 3; i++) expect(await h.admit(gitjobJob('r', `aaaa${i}`, 'plain'))).toEqual({ uid: expect.any(String), allowed: true });
      expect(lookups(h.api, 'plain')).toBe(1);
    });

    test('a namespace the API server does not know (404) counts as not opted in, not as a failed read', async () => {
      const metrics = new Metrics();
      h = await harness({ metrics });
      await eventually(async () => (await h!.ready()).status === 200);
      for (let i = 0; i < 2; i++) expect(await h.admit(gitjobJob('r', `aaaa${i}`, 'gone'))).toEqual({ uid: expect.any(String), allowed: true });
      expect(lookups(h.api, 'gone')).toBe(1);
      const text = (await metrics.expose()).body;
      expect(text).toMatch(/fleet_webhook_namespace_lookups_total\{result="not_opted_in"\} 1/);
      expect(text).not.toMatch(/fleet_webhook_fail_open_total\{reason="namespace_unknown"\} [1-9]/);
    });

    test('when the API server does not answer, the workload is allowed unchanged with a warning, counted as fail-open', async () => {
      const metrics = new Metrics();
      h = await harness({ metrics });
      await eventually(async () => (await h!.ready()).status === 200);
      h.api.upsert('namespaces', { metadata: { name: 'locked', labels: { [MODE]: 'enforce' } } }, true);
      h.api.forbidden = ['/api/v1/namespaces/locked'];
      const r = await h.admit(gitjobJob('r', 'aaaaa', 'locked'));
      expect(r).toEqual({ uid: expect.any(String), allowed: true, warnings: ['fleet-webhook: namespace not in the cache yet and could not be read; allowed unchanged'] });
      const text = (await metrics.expose()).body;
      expect(text).toMatch(/fleet_webhook_fail_open_total\{reason="namespace_unknown"\} 1/);
      expect(text).toMatch(/fleet_webhook_namespace_lookups_total\{result="failed"\} 1/);

      // a failure is not remembered: once the API server answers, the next admission is mutated
      h.api.forbidden = [];
      expect((await h.admit(gitjobJob('r', 'bbbbb', 'locked'))).patchType).toBe('JSONPatch');
    });

    test('a read slower than the lookup timeout fails open in time, and its answer serves the next admission', async () => {
      const logs = memoryLogger('info');
      h = await harness({ log: logs.log });
      await eventually(async () => (await h!.ready()).status === 200);
      h.api.upsert('namespaces', { metadata: { name: 'slow', labels: { [MODE]: 'enforce' } } }, true);
      h.api.delayReadsMs = 900; // the harness waits 500 ms
      const r = await h.admit(gitjobJob('r', 'aaaaa', 'slow'));
      expect(r.patch).toBeUndefined();
      expect(r.warnings).toEqual(['fleet-webhook: namespace not in the cache yet and could not be read; allowed unchanged']);
      await eventually(() => h!.sources.namespaces.modeFor('slow') === 'enforce');
      expect((await h.admit(gitjobJob('r', 'bbbbb', 'slow'))).patchType).toBe('JSONPatch');
      expect(lookups(h.api, 'slow')).toBe(1);
      const line = logs.lines().find((l) => l.msg === 'namespace not in the cache yet; read it from the API server');
      expect(line).toMatchObject({ level: 30, namespace: 'slow', result: 'opted_in' });
      expect(line.ms).toBeGreaterThanOrEqual(850); // the operator sees the read was slow
    });
  });

  test('API server down at start: not ready, then ready once it answers', async () => {
    h = await harness({ apiDown: true });
    await new Promise((r) => setTimeout(r, 300));
    const down = await h.ready();
    expect(down.status).toBe(503);
    expect(down.body).toMatch(/\[-\] source namespaces: not synced \(.*ECONNREFUSED/);
    // fail open while not synced: allowed, warned, not mutated
    const early = await h.admit();
    expect(early.patch).toBeUndefined();
    await h.api.start();
    defaultSeed(h.api);
    await eventually(async () => (await h!.ready()).status === 200, 10_000);
    expect(h.restarts.filter((r) => r === 'error').length).toBeGreaterThan(0);
    expect(tolerationsAdded(await h.admit())).toEqual([CONTROL_PLANE, DEDICATED]);
  });

  test('list failures (500) back off and recover without a restart of the process', async () => {
    h = await harness({ seed: (api) => { defaultSeed(api); api.listFailures = [500, 500, 503]; } });
    await eventually(async () => (await h!.ready()).status === 200);
    expect(h.api.requests.filter((r) => r.query.watch !== 'true').length).toBeGreaterThanOrEqual(5);
  });

  test('a list that is never answered times out and is retried, instead of leaving the cache stale for good', async () => {
    h = await harness({ seed: (api) => { defaultSeed(api); api.hangNextLists = 2; } });
    await eventually(async () => (await h!.ready()).status === 200, 5000);
    const ns = h.sources.reflectors.find((r) => r.name === 'namespaces')!;
    expect(ns.status().lastError).toBeUndefined(); // cleared by the list that succeeded
    expect(h.restarts).toContain('error');
    expect(h.api.requests.filter((r) => r.query.watch !== 'true').length).toBeGreaterThanOrEqual(4);
  });

  test('a watch dropped mid-stream recovers and delivers what changed meanwhile', async () => {
    h = await harness();
    await eventually(() => h!.api.openWatches() === 2);
    const listsBefore = h.api.requests.filter((r) => r.query.watch !== 'true').length;
    h.api.dropWatches();
    h.api.namespace('fleet-default', { [MODE]: 'audit' });
    await eventually(() => h!.sources.namespaces.modeFor('fleet-default') === 'audit');
    expect(h.restarts).toContain('error');
    // resumed from its resourceVersion: no relist was needed
    expect(h.api.requests.filter((r) => r.query.watch !== 'true').length).toBe(listsBefore);
  });

  test('410 Gone (as an ERROR event or an HTTP status) relists instead of looping on errors', async () => {
    h = await harness();
    await eventually(() => h!.api.openWatches() === 2);
    const lists = () => h!.api.requests.filter((r) => r.query.watch !== 'true').length;
    const before = lists();
    h.api.compact();
    h.api.upsert('deployments', fleetControllerDeployment([CATTLE_OS]), true); // lost with the history
    h.api.expireOpenWatches();
    await eventually(() => expect(lists()).toBeGreaterThanOrEqual(before + 2));
    await eventually(() => expect(h!.sources.controller?.snapshot().tolerations).toEqual([CATTLE_OS]));
    expect(h.restarts.filter((r) => r === 'expired').length).toBeGreaterThanOrEqual(2);

    h.api.goneAsHttpStatus = true;
    h.api.compact();
    h.api.namespace('fleet-default', { [MODE]: 'audit' });
    h.api.compact();
    h.api.dropWatches();
    await eventually(() => h!.sources.namespaces.modeFor('fleet-default') === 'audit');
    await eventually(() => h!.api.openWatches() === 2);
  });

  test('watches closed at once with no event back off instead of reconnecting in a tight loop', async () => {
    h = await harness();
    await eventually(() => h!.api.openWatches() === 2);
    const watches = () => h!.api.watchRequests('namespaces').length;
    const before = watches();
    h.api.closeWatchesAtOnce = true;
    h.api.dropWatches();
    await new Promise((r) => setTimeout(r, 1000));
    // With backoff from 40 ms up to 300 ms, one second holds about six attempts; without it, hundreds.
    expect(watches() - before).toBeLessThan(15);
    const ns = h.sources.reflectors.find((r) => r.name === 'namespaces')!;
    expect(ns.status().lastError).toMatch(/closed after \d+ ms with no event/);
    await eventually(async () => expect((await h!.ready()).body).toMatch(/stale for/));

    h.api.closeWatchesAtOnce = false;
    h.api.namespace('fleet-default', { [MODE]: 'audit' });
    await eventually(() => h!.sources.namespaces.modeFor('fleet-default') === 'audit', 5000);
    await eventually(async () => expect((await h!.ready()).body).not.toMatch(/stale for/));
  });

  test('a hung watch (half-open connection) is restarted by the watchdog', async () => {
    h = await harness();
    await eventually(() => h!.api.openWatches() === 2);
    h.api.hangNextWatches = 2;
    h.api.dropWatches();
    await eventually(() => h!.api.openWatches() === 2); // both reconnected, and both hang
    h.api.namespace('fleet-default', { [MODE]: 'audit' });
    await new Promise((r) => setTimeout(r, 200));
    expect(h.sources.namespaces.modeFor('fleet-default')).toBe('enforce'); // the hung watch delivered nothing
    await eventually(() => h!.sources.namespaces.modeFor('fleet-default') === 'audit', 5000);
    expect(h.restarts).toContain('watchdog');
  });

  test('bookmarks move the resourceVersion on, so a resume after compaction needs no relist', async () => {
    h = await harness();
    await eventually(() => h!.api.openWatches() === 2);
    h.api.namespace('unrelated'); // advances the resourceVersion without an event for our watches
    h.api.bookmark();
    await new Promise((r) => setTimeout(r, 100));
    const lists = h.api.requests.filter((r) => r.query.watch !== 'true').length;
    h.api.compact();
    h.api.dropWatches();
    await eventually(() => h!.api.openWatches() === 2);
    await new Promise((r) => setTimeout(r, 200));
    expect(h.api.requests.filter((r) => r.query.watch !== 'true').length).toBe(lists);
    const resumed = h.api.watchRequests('namespaces').at(-1);
    expect(Number(resumed?.query.resourceVersion)).toBeGreaterThanOrEqual(h.api['compactedRv']);
  });

  test('the periodic relist repairs an event that was lost', async () => {
    h = await harness({ resyncMs: 400 });
    await eventually(async () => (await h!.ready()).status === 200);
    h.api.upsert('namespaces', { metadata: { name: 'fleet-default', labels: { [MODE]: 'audit' } } }, true);
    await eventually(() => h!.sources.namespaces.modeFor('fleet-default') === 'audit', 5000);
    expect(h.restarts).toContain('resync');
  });

  test('after the first sync, losing the API server keeps the last state and shows staleness', async () => {
    h = await harness();
    await eventually(async () => (await h!.ready()).status === 200);
    await h.api.stop();
    const stale = await eventually(async () => {
      const r = await h!.ready();
      expect(r.body).toMatch(/stale for \d+s/);
      return r;
    });
    expect(stale.status).toBe(200);
    expect(tolerationsAdded(await h.admit())).toEqual([CONTROL_PLANE, DEDICATED]);
  });
});
