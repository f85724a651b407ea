import { Writable } from 'node:stream';
import { createLogger } from '../../src/observability/log.js';

test('anything that could carry a secret is redacted from logs', () => {
  let out = '';
  const sink = new Writable({ write(chunk, _e, cb) { out += chunk; cb(); } });
  const log = createLogger('info', sink as never);
  const key = '-----BEGIN PRIVATE KEY-----\nMIG...';
  log.info({ key, tls: { key, cert: 'CERT' }, req: { headers: { authorization: 'Bearer abc' } }, config: { users: [{ token: 't' }] }, token: 'tok', uid: 'u1' }, 'x');
  const line = JSON.parse(out.trim());
  expect(out).not.toContain('PRIVATE KEY');
  expect(out).not.toContain('Bearer abc');
  expect(out).not.toContain('tok"');
  expect(line.key).toBe('[redacted]');
  expect(line.tls).toEqual({ key: '[redacted]', cert: '[redacted]' });
  expect(line.uid).toBe('u1'); // ordinary fields stay
  expect(line.level).toBe('info');
});
