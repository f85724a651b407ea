import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { withBenchTls, type BenchTls } from '../../bench/lib.js';

const LIB = new URL('../../bench/lib.js', import.meta.url).href;
const OBJECTS = new URL('../../bench/objects.js', import.meta.url).href;

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

/** Whether the process has ended (or is a zombie waiting to be reaped) within `ms`. */
async function goneWithin(pid: number, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    let state: string;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    } catch {
      return true;
    }
    if (state === 'Z') return true;
  }
  return false;
}

describe('loadRaw', () => {
  it('runs each concurrent load in a load-generator process of its own, which never keeps the benchmark alive', async () => {
    // A benchmark in miniature: two loads at once against a real server over TLS, then it simply ends.
    const script = `import { readdirSync, readFileSync } from 'node:fs';
      import { BASELINE, loadRaw, startServer, withBenchTls } from ${JSON.stringify(LIB)};
      import { REALISTIC } from ${JSON.stringify(OBJECTS)};
      const generators = () => readdirSync('/proc').filter((p) => /^\\d+$/.test(p)).filter((p) => {
        try {
          const stat = readFileSync('/proc/' + p + '/stat', 'utf8');
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid && readFileSync('/proc/' + p + '/cmdline', 'utf8').includes('load-generator');
        } catch { return false; }
      }).map(Number);
      await withBenchTls('lib-test', async (tls) => {
        const server = await startServer('baseline', BASELINE, [tls.certFile, tls.keyFile]);
        const body = REALISTIC['gitjob Job']();
        const runs = await Promise.all([loadRaw(server, tls.caCert, body, 2, { amount: 100 }), loadRaw(server, tls.caCert, body, 1, { amount: 60 })]);
        const again = await loadRaw(server, tls.caCert, body, 1, { amount: 10 });
        console.log(JSON.stringify({ counts: [...runs, again].map((r) => r.latencies.length), errors: [...runs, again].map((r) => r.errors), generators: generators() }));
        await server.stop();
      });`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { timeout: 60_000 });
    const report = JSON.parse(stdout.trim().split('\n').pop() as string);
    expect(report.counts).toEqual([100, 60, 10]);
    expect(report.errors).toEqual([0, 0, 0]);
    // Two at once needed two; the third load reused one of them.
    expect(report.generators).toHaveLength(2);
    // The script ended by itself (execFile resolved), and took its generators with it.
    for (const pid of report.generators) expect(await goneWithin(pid, 5_000)).toBe(true);
  }, 90_000);
});
