import { FakeApiServer, testClusterSources } from '../support/fake-apiserver.js';
import { Metrics } from '../../src/observability/metrics.js';
import { admissionReview, fleetControllerDeployment, fleetdmManifests } from '../support/fixtures.js';
import { makePki, post } from '../support/tls.js';
import { getHealth, startTestServer } from '../support/server.js';
import { eventually } from '../support/eventually.js';

test('--detect-collisions: live selectors of Deployments and Services produce warnings and a metric, and follow deletions', async () => {
  const pki = await makePki();
  const api = new FakeApiServer({ cert: pki.serving.cert, key: pki.serving.key, ca: pki.ca.cert });
  await api.start();
  const [service, deployment, job] = fleetdmManifests();
  api.namespace('fleetdm', { 'fleet-webhook.io/mode': 'enforce' });
  api.upsert('deployments', fleetControllerDeployment());
  api.upsert('services', service);
  api.upsert('deployments', deployment);
  const metrics = new Metrics();
  const sources = await testClusterSources(api, { detectCollisions: true, watchdogMs: 5000 });
  const s = await startTestServer({}, { sources, metrics }, pki);
  try {
    await eventually(async () => (await getHealth(s.webhook.healthPort, '/readyz')).status === 200);
    expect((await getHealth(s.webhook.healthPort, '/readyz')).body).toMatch(/source services: synced/);
    const admit = async () => (await post({ ca: pki.ca.cert, port: s.webhook.port, body: JSON.stringify(admissionReview(job)) })).json().response;
    const first = await admit();
    expect([...first.warnings].sort()).toEqual([
      'fleet-webhook: Deployment fleet also selects these pods (app=fleet, chart=fleet, heritage=Helm, release=fleet)',
      "fleet-webhook: Service fleet selects these pods and Deployment fleet's (app=fleet, chart=fleet, heritage=Helm, releas...",
    ]);
    const text = (await metrics.expose()).body;
    expect(text).toMatch(/fleet_webhook_selector_collisions_total\{kind="Job",other_kind="Deployment"\} 1/);
    expect(text).toMatch(/fleet_webhook_selector_collisions_total\{kind="Job",other_kind="Service"\} 1/);

    api.delete('services', 'fleetdm', 'fleet');
    api.delete('deployments', 'fleetdm', 'fleet');
    await eventually(async () => expect((await admit()).warnings).toBeUndefined());
  } finally {
    await s.webhook.shutdown();
    await api.stop();
  }
});
