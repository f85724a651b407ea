import { isDns1035Label, isDnsLabel, isDnsSubdomain } from '../../src/kube/names.js';

describe('Kubernetes name rules', () => {
  test.each([
    ['fleet-default', true, true, true],
    ['cattle-fleet-system', true, true, true],
    ['a', true, true, true],
    ['0abc', true, false, true], // a namespace may start with a digit, a Service may not
    ['a'.repeat(63), true, true, true],
    ['a'.repeat(64), false, false, true],
    ['fleet-webhook.example', false, false, true],
    ['-a', false, false, false],
    ['a-', false, false, false],
    ['Fleet', false, false, false],
    ['bad_name', false, false, false],
    ['a..b', false, false, false],
    ['', false, false, false],
  ])('%s: label %s, 1035 label %s, subdomain %s', (name, label, label1035, subdomain) => {
    expect([isDnsLabel(name), isDns1035Label(name), isDnsSubdomain(name)]).toEqual([label, label1035, subdomain]);
  });

  test('a subdomain is at most 253 characters, each part a label', () => {
    const part = 'a'.repeat(63);
    const at253 = [part, part, part, 'a'.repeat(61)].join('.');
    expect(at253.length).toBe(253);
    expect(isDnsSubdomain(at253)).toBe(true);
    expect(isDnsSubdomain(at253 + 'a')).toBe(false);
  });
});
