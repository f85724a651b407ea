import { findingsOf } from '../../src/audit/findings.js';
import { CONTROLLER_TOLERATIONS, gitjobJob, shardDeployment } from '../support/fixtures.js';

// A valid label key that is also a name on Object.prototype: a parsed object "has" it through its
// prototype, which must not count as the workload's label or selector term.
describe.each(['constructor', 'toString'])('findingsOf with the component label key %s', (key) => {
  test('a template and a selector without the key are both reported', () => {
    const deployment = shardDeployment('s');
    deployment.spec.template.spec.tolerations = [...CONTROLLER_TOLERATIONS];
    const findings = findingsOf([{ kind: 'Deployment', obj: deployment }], CONTROLLER_TOLERATIONS, key);
    expect(findings.map((f) => f.type).sort()).toEqual(['missing-component-label', 'selector-without-component-label']);
  });

  test('a template and a selector that have the key are not', () => {
    const deployment = shardDeployment('s');
    deployment.spec.template.spec.tolerations = [...CONTROLLER_TOLERATIONS];
    deployment.spec.template.metadata.labels[key] = 'shard-s';
    deployment.spec.selector.matchLabels[key] = 'shard-s';
    const job = gitjobJob();
    job.spec.template.spec.tolerations = [...CONTROLLER_TOLERATIONS];
    job.spec.template.metadata = { labels: { [key]: 'job_x' } };
    expect(findingsOf([{ kind: 'Deployment', obj: deployment }, { kind: 'Job', obj: job }], CONTROLLER_TOLERATIONS, key)).toEqual([]);
  });
});
