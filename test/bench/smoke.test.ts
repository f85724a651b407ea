import { readFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const exec = promisify(execFile);
const RUN = fileURLToPath(new URL('../../bench/run.js', import.meta.url));

/** Keeps `npm run bench` working: a few hundred requests per scenario, no thresholds (timing belongs to the benchmark). */
test('the benchmark runs end to end and writes its report', async () => {
  const { stdout } = await exec(process.execPath, [RUN, '--smoke', '--processes', '2'], { timeout: 170_000 });
  const file = stdout.match(/wrote (\S+\.json)/)?.[1];
  expect(file).toBeDefined();
  const report = JSON.parse(await readFile(file as string, 'utf8'));
  expect(report.machine.cores).toBeGreaterThan(0);
  expect(report.rows.length).toBeGreaterThanOrEqual(8);
  // One round on each of the two process pairs.
  expect(report.processes).toBe(2);
  expect(report.rounds).toBe(2);
  for (const row of report.rows) {
    expect(row.webhook.errors).toBe(0);
    expect(row.webhook.requests).toBeGreaterThan(0);
  }
  // Before the first comparison, every process of both servers served each realistic kind (twice).
  expect(report.warmUp.kinds).toHaveLength(3);
  expect(Object.keys(report.warmUp.requestsPerServer).sort()).toEqual(['baseline-0', 'baseline-1', 'webhook-0', 'webhook-1']);
  for (const served of Object.values(report.warmUp.requestsPerServer)) expect(served).toBe(2 * 3 * 200);
  expect(report.warmUp.errors).toBe(0);
  const compared = report.rows.filter((r: any) => r.baseline);
  expect(compared.length).toBeGreaterThan(0);
  for (const row of compared) {
    expect(row.baseline.errors).toBe(0);
    // Two rounds of 200 requests against each server.
    expect(row.webhook.requests).toBe(400);
    expect(row.baseline.requests).toBe(400);
    expect(row.cpuRatioByPair).toHaveLength(2);
  }
  // 200 requests of 100 KB take tens of milliseconds of CPU: both pairs measured, so both served a round.
  const large = compared.find((r: any) => r.scenario === 'object size 100 KB');
  for (const ratio of large.cpuRatioByPair) expect(ratio).toBeGreaterThan(0);
  expect(report.coldHandler.map((c: any) => c.scenario)).toEqual(['gitjob Job', 'cleanup CronJob', 'fleet-controller Deployment']);
  for (const c of report.coldHandler) for (const us of [c.loopUs, c.coldUs, c.coldP90Us]) expect(us).toBeGreaterThan(0);
  // Memory side by side: both servers under the same sustained load, then watched idle.
  for (const m of [report.memory, report.baselineMemory]) {
    expect(m.errors).toBe(0);
    expect(m.requests).toBeGreaterThan(0);
    expect(m.afterLoadSamples).toHaveLength(m.idleSeconds);
    for (const mb of [m.idleRssMb, m.maxRssMb, m.afterLoadRssMb]) expect(mb).toBeGreaterThan(0);
  }
  expect(report.startup.medianMs).toBeGreaterThan(0);
}, 180_000);
