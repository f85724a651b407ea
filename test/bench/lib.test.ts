import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { withBenchTls, type BenchTls } from '../../bench/lib.js';

const LIB = new URL('../../bench/lib.js', import.meta.url).href;

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

  it('removes the directory when the benchmark is stopped by a signal mid-run', async () => {
    // A run that never ends by itself, as a benchmark interrupted with Ctrl-C or killed.
    const script = `import { withBenchTls } from ${JSON.stringify(LIB)};
      await withBenchTls('lib-test', async (tls) => { console.log(tls.dir); setInterval(() => {}, 1000); await new Promise(() => {}); });`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [first] = (await once(child.stdout, 'data')) as [Buffer];
    const dir = first.toString().trim();
    expect(existsSync(dir)).toBe(true);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(130);
    expect(existsSync(dir)).toBe(false);
  });
});
