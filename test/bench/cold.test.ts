import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { pairedHandlerCost } from '../../bench/cold.js';

const exec = promisify(execFile);
const COLD = fileURLToPath(new URL('../../bench/cold.js', import.meta.url));
/** This checkout (dist/test/bench/ is three levels below it): a build with the same answers. */
const CHECKOUT = fileURLToPath(new URL('../../../', import.meta.url));

describe('bench:cold --against', () => {
  // Keeps the tool working: a few pairs, no thresholds (timing belongs to the benchmark).
  it('times both builds on every realistic kind', async () => {
    const rows = await pairedHandlerCost(CHECKOUT, 20);
    expect(rows.map((r) => r.scenario)).toEqual(['gitjob Job', 'cleanup CronJob', 'fleet-controller Deployment']);
    for (const r of rows) {
      expect(r.thisUs).toBeGreaterThan(0);
      expect(r.otherUs).toBeGreaterThan(0);
      expect(Number.isFinite(r.differenceUs)).toBe(true);
    }
  }, 60_000);

  it('refuses a build whose answers differ: it would time different work', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleet-webhook-cold-'));
    try {
      // A build that allows everything unchanged: same review module, a handler that never patches.
      await mkdir(join(dir, 'dist/src/admission'), { recursive: true });
      await mkdir(join(dir, 'dist/test/support'), { recursive: true });
      await writeFile(join(dir, 'package.json'), '{"type":"module"}\n');
      const review = pathToFileURL(join(CHECKOUT, 'dist/src/admission/review.js')).href;
      await writeFile(join(dir, 'dist/src/admission/review.js'), `export * from ${JSON.stringify(review)};\n`);
      await writeFile(
        join(dir, 'dist/test/support/handler.js'),
        'export function standaloneHandler() { return { handler: { handle: (r) => ({ response: { uid: r.uid, allowed: true } }) } }; }\n',
      );
      await expect(pairedHandlerCost(dir, 5)).rejects.toThrow(/answers the gitjob Job differently/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a directory without a build before timing anything', async () => {
    const run = exec(process.execPath, [COLD, '--against', '/nonexistent/copy'], { timeout: 20_000 });
    await expect(run).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/--against \/nonexistent\/copy: no built checkout there/) });
  });
});
