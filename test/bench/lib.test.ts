import { existsSync, readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { withBenchTls, type BenchTls } from '../../bench/lib.js';

describe('withBenchTls', () => {
  it('gives a serving certificate signed by the CA, and removes its directory (with the key) after the run', async () => {
    let seen: BenchTls | undefined;
    const result = await withBenchTls('lib-test', async (tls) => {
      seen = tls;
      expect(existsSync(tls.keyFile)).toBe(true);
      const serving = new X509Certificate(readFileSync(tls.certFile));
      expect(serving.checkIssued(new X509Certificate(tls.caCert))).toBe(true);
      return 42;
    });
    expect(result).toBe(42);
    expect(existsSync((seen as BenchTls).dir)).toBe(false);
  });

  it('removes the directory when the run fails, and passes the failure on', async () => {
    let dir = '';
    await expect(
      withBenchTls('lib-test', async (tls) => {
        dir = tls.dir;
        throw new Error('server exited with 1');
      }),
    ).rejects.toThrow('server exited with 1');
    expect(dir).not.toBe('');
    expect(existsSync(dir)).toBe(false);
  });
});
