import { readReview } from '../../src/admission/review.js';
import { StaticTolerationSource } from '../../src/sources/static.js';
import { admissionReview, cleanupGitrepoJobsCronJob, CONTROL_PLANE, DEDICATED, gitjobJob, shardDeployment } from '../support/fixtures.js';
import { afterPatch, decodePatch } from '../support/patch.js';
import { standaloneHandler } from '../support/handler.js';
import type { Toleration } from '../../src/mutation/types.js';

function requestOf(obj: any, opts: Parameters<typeof admissionReview>[1] = {}) {
  return readReview(admissionReview(obj, opts)).request;
}

describe('MutatingHandler', () => {
  test('enforce: JSONPatch with the uid, and a patch that applies to the request object', () => {
    const { handler } = standaloneHandler();
    const job = gitjobJob();
    const req = requestOf(job);
    const d = handler.handle(req);
    expect(d.outcome).toBe('mutated');
    expect(d.response.uid).toBe(req.uid);
    expect(d.response.allowed).toBe(true);
    expect(d.response.patchType).toBe('JSONPatch');
    const after = afterPatch(job, decodePatch(d.response));
    expect(after.spec.template.spec.tolerations).toContainEqual(DEDICATED);
    expect(d.response.auditAnnotations).toEqual({ mutated: 'tolerations+2,component-label' });
    expect(d.response.warnings).toBeUndefined();
  });

  test('nothing to change: no patch and no patchType at all', () => {
    const { handler } = standaloneHandler();
    const job = gitjobJob();
    const first = handler.handle(requestOf(job));
    const patched = afterPatch(job, decodePatch(first.response));
    const d = handler.handle(requestOf(patched));
    expect(d.outcome).toBe('unchanged');
    expect('patch' in d.response).toBe(false);
    expect('patchType' in d.response).toBe(false);
  });

  test.each([
    ['UPDATE', { operation: 'UPDATE' }],
    ['DELETE', { operation: 'DELETE' }],
    ['a subresource', { subResource: 'status' }],
  ])('%s is allowed unchanged', (_n, opts) => {
    const { handler } = standaloneHandler();
    const d = handler.handle(requestOf(gitjobJob(), opts));
    expect(d.outcome).toBe('ignored');
    expect(d.response).toEqual({ uid: expect.any(String), allowed: true });
  });

  test('other kinds and other versions are allowed unchanged', () => {
    const { handler } = standaloneHandler();
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'fleet-default' }, spec: { containers: [] } };
    expect(handler.handle(requestOf(pod)).response).toEqual({ uid: expect.any(String), allowed: true });
    const req = requestOf(gitjobJob());
    req.kind = { group: 'batch', version: 'v1beta1', kind: 'Job' };
    expect(handler.handle(req).outcome).toBe('ignored');
  });

  test('prepare asks the mode source about an unknown namespace only for a CREATE of a supported kind', async () => {
    const asked: string[] = [];
    const modes = new Map([['fleet-default', 'enforce' as const]]);
    const modeSource = {
      modeFor: (ns: string) => modes.get(ns as 'fleet-default'),
      lookUp: (ns: string) => {
        asked.push(ns);
        modes.set(ns as 'fleet-default', 'enforce');
        return Promise.resolve();
      },
    };
    const { handler } = standaloneHandler({ modeSource });
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'fresh' }, spec: { containers: [] } };
    for (const req of [
      requestOf(gitjobJob()), // known
      requestOf(gitjobJob('r', 'aaaaa', 'kube-system')), // protected
      requestOf(gitjobJob('r', 'aaaaa', 'fresh'), { operation: 'UPDATE' }),
      requestOf(gitjobJob('r', 'aaaaa', 'fresh'), { subResource: 'status' }),
      requestOf(pod),
    ]) {
      expect(handler.prepare(req)).toBeUndefined();
    }
    expect(asked).toEqual([]);
    const req = requestOf(gitjobJob('r', 'aaaaa', 'fresh'));
    expect(handler.handle(req).outcome).toBe('ignored');
    await handler.prepare(req);
    expect(asked).toEqual(['fresh']);
    expect(handler.handle(req).outcome).toBe('mutated');
    expect(handler.prepare(req)).toBeUndefined();
  });

  test('kube-system and the other protected namespaces are never mutated', () => {
    const { handler } = standaloneHandler();
    for (const ns of ['kube-system', 'kube-public', 'kube-node-lease']) {
      expect(handler.handle(requestOf(gitjobJob('r', 'abcde', ns))).outcome).toBe('ignored');
    }
  });

  test('audit: no patch; warnings under 120 characters, audit annotations and an info log say what would change', () => {
    const { handler, lines } = standaloneHandler({ globalMode: 'audit' });
    const d = handler.handle(requestOf(shardDeployment('shard1')));
    expect(d.outcome).toBe('audited');
    expect(d.response.patch).toBeUndefined();
    expect(d.response.patchType).toBeUndefined();
    expect(d.response.auditAnnotations?.['would-mutate']).toBe('tolerations+2,component-label,selector');
    expect(JSON.parse(d.response.auditAnnotations?.['would-patch'] ?? '[]')).toHaveLength(5);
    const warnings = d.response.warnings ?? [];
    expect(warnings).toHaveLength(3);
    for (const w of warnings) expect(w.length).toBeLessThan(120);
    expect(warnings[0]).toBe('fleet-webhook audit: would add 2 tolerations: node-role.kubernetes.io/control-plane Exists:NoSchedule (+1 more)');
    expect(warnings[2]).toMatch(/spec.selector.matchLabels/);
    const log = lines().find((l) => l.msg === 'audit: would mutate');
    expect(log).toMatchObject({ level: 30, outcome: 'audited', kind: 'Deployment', changes: 'tolerations+2,component-label,selector' });
    expect(JSON.stringify(log)).not.toContain('rancher/fleet'); // never the whole object
  });

  test('audit with 100 tolerations summarises instead of flooding', () => {
    const many: Toleration[] = Array.from({ length: 100 }, (_, i) => ({ key: `example.com/taint-${i}`, operator: 'Exists', effect: 'NoSchedule' }));
    const { handler } = standaloneHandler({ globalMode: 'audit', tolerationSource: new StaticTolerationSource(many) });
    const d = handler.handle(requestOf(cleanupGitrepoJobsCronJob()));
    const first = d.response.warnings?.[0] ?? '';
    expect(first.length).toBeLessThanOrEqual(120);
    expect(first).toBe('fleet-webhook audit: would add 100 tolerations: example.com/taint-0 Exists:NoSchedule (+99 more)');
    expect(d.response.auditAnnotations?.['would-patch']).toBeUndefined(); // too large for an annotation
    expect(d.response.auditAnnotations?.['would-mutate']).toBe('tolerations+100,component-label');
  });

  test('dry run behaves the same and is logged as such', () => {
    const { handler, lines } = standaloneHandler();
    const d = handler.handle(requestOf(gitjobJob(), { dryRun: true }));
    expect(d.outcome).toBe('mutated');
    expect(lines().some((l) => l.msg === 'dry-run admission' && l.dryRun === true)).toBe(true);
  });

  test('an unknown controller is reported as a warning while extra tolerations still apply', () => {
    const { handler } = standaloneHandler({
      tolerationSource: new StaticTolerationSource([], 'fleet-webhook: controller cattle-fleet-system/fleet-controller not found; no controller tolerations added'),
      extraTolerations: [CONTROL_PLANE],
    });
    const d = handler.handle(requestOf(gitjobJob()));
    expect(d.response.warnings?.[0]).toMatch(/not found/);
    expect(decodePatch(d.response)[0].value).toEqual(CONTROL_PLANE);
  });

  test('an object it cannot understand is allowed unchanged with a warning', () => {
    const { handler } = standaloneHandler();
    const job = gitjobJob();
    job.spec.template.spec.tolerations = 'everything';
    const d = handler.handle(requestOf(job));
    expect(d.response.patch).toBeUndefined();
    expect(d.response.warnings?.[0]).toMatch(/not mutated: tolerations is not a list/);
  });

  test('an internal error fails open: allowed, warned, logged', () => {
    const { handler, lines } = standaloneHandler({
      tolerationSource: { snapshot: () => { throw new Error('boom'); } },
    });
    const d = handler.handle(requestOf(gitjobJob()));
    expect(d.outcome).toBe('error');
    expect(d.response).toEqual({ uid: expect.any(String), allowed: true, warnings: ['fleet-webhook: internal error, object not mutated'] });
    expect(lines().some((l) => l.level === 50 && l.err?.message === 'boom')).toBe(true);
  });
});

describe('readReview', () => {
  test.each([
    ['not an object', [], /not a JSON object/],
    ['wrong apiVersion', { apiVersion: 'admission.k8s.io/v2', kind: 'AdmissionReview', request: { uid: 'a' } }, /apiVersion/],
    ['wrong kind', { apiVersion: 'admission.k8s.io/v1', kind: 'Review', request: { uid: 'a' } }, /kind/],
    ['no request', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, /request/],
    ['no uid', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 3 } }, /uid/],
  ])('%s is refused', (_n, body, message) => {
    expect(() => readReview(body)).toThrow(message);
  });

  test('v1beta1 is accepted', () => {
    expect(readReview(admissionReview(gitjobJob(), { version: 'admission.k8s.io/v1beta1' })).version).toBe('admission.k8s.io/v1beta1');
  });
});
