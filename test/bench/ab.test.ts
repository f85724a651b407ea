import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAbArgs } from '../../bench/ab.js';

const exec = promisify(execFile);
const AB = fileURLToPath(new URL('../../bench/ab.js', import.meta.url));
/** This checkout (dist/test/bench/ is three levels below it): a copy with a built server. */
const CHECKOUT = fileURLToPath(new URL('../../../', import.meta.url));

describe('bench:ab', () => {
  it('refuses what it cannot compare, before starting anything', () => {
    expect(() => parseAbArgs(['baseline'])).toThrow(/at least two copies/);
    expect(() => parseAbArgs(['baseline', '/nonexistent/copy'])).toThrow(/no built server/);
    expect(() => parseAbArgs(['--body', 'Pod', 'baseline', 'baseline'])).toThrow(/--body must be one of/);
    expect(() => parseAbArgs(['--rounds', 'x', 'baseline', 'baseline'])).toThrow(/--rounds must be a positive whole number/);
    expect(() => parseAbArgs(['--rounds', '2.5', 'baseline', 'baseline'])).toThrow(/--rounds must be a positive whole number/);
    expect(() => parseAbArgs(['--procs', '4', 'baseline', 'baseline'])).toThrow(/unknown flag --procs/);
    expect(parseAbArgs(['--seconds', '0.5', 'baseline', 'baseline']).load).toEqual({ seconds: 0.5 });
    expect(parseAbArgs(['--seconds=0.25', 'baseline', 'baseline']).load).toEqual({ seconds: 0.25 });
    expect(() => parseAbArgs(['--help'])).toThrow(/^usage: npm run bench:ab -- .*COPY COPY\.\.\.$/);
    const opts = parseAbArgs(['--connections', '16', '--rounds', '6', 'baseline', CHECKOUT]);
    expect(opts).toMatchObject({ copies: ['baseline', CHECKOUT], connections: 16, rounds: 6, processes: 3, load: { seconds: 2 } });
  });

  // Keeps the tool working: a few hundred requests per run, no thresholds.
  it('runs every copy in every slot and writes its report', async () => {
    const { stdout } = await exec(process.execPath, [AB, '--smoke', 'baseline', CHECKOUT], { timeout: 110_000 });
    const file = stdout.match(/wrote (\S+\.json)/)?.[1];
    expect(file).toBeDefined();
    const report = JSON.parse(await readFile(file as string, 'utf8'));
    expect(report.copies).toEqual(['baseline', CHECKOUT]);
    expect(report.results.map((r: { copy: string }) => r.copy)).toEqual(['baseline', CHECKOUT]);
    // Two rounds: the first copy runs first, then second; the other the other way round.
    expect(report.results.map((r: { slots: number[] }) => r.slots)).toEqual([
      [0, 1],
      [1, 0],
    ]);
    for (const r of report.results) {
      expect(r.errors).toBe(0);
      expect(r.requests).toBe(400);
    }
  }, 120_000);
});
