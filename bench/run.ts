/**
 * npm run bench: the webhook (standalone, over TLS) against a baseline fastify HTTPS server that only
 * parses the same JSON, side by side in one run. Options: --seconds N (per load run, default 2),
 * --processes N (webhook and baseline processes each, default 3), --rounds N (alternating
 * webhook/baseline runs per comparison, rounded up to a multiple of --processes, default 6),
 * --memory-seconds N (sustained run, default 60), --idle-seconds N (watched after it, default 60),
 * --smoke (a few hundred requests, for CI).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BASELINE, CLI, cpuRatio, withBenchTls, load, loadRaw, machine, median, round, rssMb, standaloneServeArgs, startServer, summarize, writeReport, type BenchTls, type LoadResult, type RawLoad, type RunningServer } from './lib.js';
import { REALISTIC, reviewOfSize } from './objects.js';
import { collisionScaling } from './collisions.js';
import { describeHandlerCost, handlerCost } from './cold.js';
import { warmUpOnEveryKind, type WarmUp } from './warm-up.js';
import { argsOrExit, parseBenchArgs } from './options.js';
import { fleetControllerDeployment } from '../test/support/fixtures.js';

// Several processes of each server: one process's speed depends on where its code and heap landed
// (identical processes differ by a few percent on this machine, and keep that difference for their
// whole life), so a comparison of one process pair is one draw of that layout. Rounds rotate through
// the pairs, as JMH forks several JVMs for the same reason. `idleSeconds`: after the sustained load,
// how much memory each server gives back, idle, within this time.
const { smoke, seconds, processes, rounds, memorySeconds, idleSeconds } = argsOrExit(() => parseBenchArgs(process.argv.slice(2)));
const loadOpts = smoke ? { amount: 200 } : { seconds };
/** Load before measuring: 200 requests left the first one-connection rows still paying for JIT compilation. */
const warmUpLoad = smoke ? { amount: 200 } : { seconds: 1 };

interface Row {
  scenario: string;
  connections: number;
  webhook: LoadResult;
  baseline?: LoadResult;
  ratio?: { cpu: number | null; rps: number; p99: number };
  /** Lowest and highest CPU ratio of the paired rounds: how much of the pooled ratio is noise. */
  cpuRatioRange?: [number, number];
  /** The CPU ratio of each webhook/baseline process pair, its rounds pooled: how much is process layout. */
  cpuRatioByPair?: (number | null)[];
}

async function main({ dir, caCert, certFile, keyFile }: BenchTls) {
  const webhookArgs = (controllerFile?: string) => [...standaloneServeArgs(certFile, keyFile), ...(controllerFile ? ['--controller-file', controllerFile] : [])];
  const env = machine();
  console.log(`fleet-webhook benchmark on ${env.cpu} (${env.cores} cores, ${env.memoryGiB} GiB), Node ${env.node}, Linux ${env.kernel}`);
  console.log(
    smoke
      ? 'smoke run: 200 requests per load, no thresholds\n'
      : `every process warmed up on every realistic kind first; then ${rounds} alternating runs of ${seconds}s per server and scenario, spread over ${processes} processes of each server, keep-alive HTTP/1.1 connections over TLS\n`,
  );

  const rows: Row[] = [];
  const webhooks: RunningServer[] = [];
  const baselines: RunningServer[] = [];
  for (let i = 0; i < processes; i++) {
    webhooks.push(await startServer(`webhook-${i}`, CLI, webhookArgs()));
    baselines.push(await startServer(`baseline-${i}`, BASELINE, [certFile, keyFile]));
  }
  const webhook = webhooks[0];
  const baseline = baselines[0];
  const idleRss = rssMb(webhook.child.pid as number);
  const baselineIdleRss = rssMb(baseline.child.pid as number);
  let warmUp: WarmUp | undefined;
  try {
    warmUp = await warmUpOnEveryKind([...webhooks, ...baselines], caCert, warmUpLoad, 2);
    const concurrencies = smoke ? [1, 16] : [1, 16, 64];
    for (const [name, make] of Object.entries(REALISTIC)) {
      const body = make();
      for (const c of concurrencies) rows.push(await compare(`${name} (${(body.length / 1024).toFixed(1)} KB)`, c, body, webhooks, baselines, caCert));
    }
    const sizes = smoke ? [1024, 100 * 1024] : [1024, 10 * 1024, 100 * 1024, 1024 * 1024];
    for (const size of sizes) rows.push(await compare(`object size ${size >= 1048576 ? '1 MB' : `${size / 1024} KB`}`, 4, reviewOfSize(size), webhooks, baselines, caCert));
  } finally {
    for (const server of [...baselines.slice(1), ...webhooks.slice(1)]) await server.stop();
  }

  for (const n of smoke ? [1, 100] : [1, 10, 100]) {
    const controllerFile = join(dir, `controller-${n}.json`);
    const tolerations = Array.from({ length: n }, (_, i) => ({ key: `example.com/taint-${i}`, operator: 'Exists', effect: 'NoSchedule' }));
    await writeFile(controllerFile, JSON.stringify(fleetControllerDeployment(tolerations)));
    const server = await startServer(`webhook-${n}`, CLI, webhookArgs(controllerFile));
    try {
      // A fresh process: warmed up like the others, or these rows would measure JIT compilation
      // (measured without it: about twice the CPU per admission of the 16-connection rows above).
      await warmUpOnEveryKind([server], caCert, warmUpLoad, 2);
      const result = await load(server, caCert, REALISTIC['gitjob Job'](), 16, loadOpts);
      rows.push({ scenario: `controller tolerations: ${n}`, connections: 16, webhook: result });
    } finally {
      await server.stop();
    }
  }

  const collisions = collisionScaling(smoke ? [10, 1000] : [10, 100, 1000, 10_000], smoke ? 2000 : 20_000);
  const coldHandler = handlerCost(smoke ? 200 : 3000);
  // Both servers have been through every row above (up to 1 MB objects): one after the other, so
  // that neither shares the CPU with the other's load.
  const memory = await sustained(webhook, caCert, idleRss);
  const baselineMemory = await sustained(baseline, caCert, baselineIdleRss);
  await baseline.stop();
  const startup = await startupTimes(webhookArgs());
  await webhook.stop();

  printTable(rows);
  console.log('\ncollision detection, in-process handler time per admission (gitjob Job):');
  for (const c of collisions) console.log(`  ${c.scenario.padEnd(42)} ${c.handleUs} µs`);
  console.log('\nhandler and response text per admission, in process: in a loop, and cold (CPU caches evicted before each, as at one connection):');
  for (const c of coldHandler) console.log(`  ${describeHandlerCost(c)}`);
  console.log('\nresident memory (MB): idle at start; under load after 1 s, at the end and highest; then idle again');
  for (const [name, m] of [['webhook', memory], ['baseline', baselineMemory]] as const) console.log(`  ${describeMemory(name, m)}`);
  console.log(`start to ready (standalone, certificates present): median ${startup.medianMs} ms of ${startup.runs.length} runs`);
  const report = { machine: env, smoke, secondsPerRun: smoke ? null : seconds, processes, rounds, warmUp, rows, collisions, coldHandler, memory, baselineMemory, startup };
  const file = await writeReport(smoke ? 'smoke' : 'bench', report);
  console.log(`\nwrote ${file}`);
}

async function compare(scenario: string, connections: number, body: string, webhooks: RunningServer[], baselines: RunningServer[], ca: string): Promise<Row> {
  // Warm every process up (see warmUpLoad; a long-running webhook does not pay for compilation), then
  // alternate short runs of each server and pool them: on a shared 2-core machine the speed drifts by
  // several percent within a minute, and alternating exposes both to the same drift.
  for (let i = 0; i < webhooks.length; i++) {
    await load(webhooks[i], ca, body, connections, warmUpLoad);
    await load(baselines[i], ca, body, connections, warmUpLoad);
  }
  const byPair = webhooks.map(() => ({ w: [] as RawLoad[], b: [] as RawLoad[] }));
  for (let i = 0; i < rounds; i++) {
    const pair = i % webhooks.length;
    byPair[pair].w.push(await loadRaw(webhooks[pair], ca, body, connections, loadOpts));
    byPair[pair].b.push(await loadRaw(baselines[pair], ca, body, connections, loadOpts));
  }
  // Every round, pair by pair: runs.w[i] and runs.b[i] are still one round's webhook and baseline run.
  const runs = { w: byPair.flatMap((p) => p.w), b: byPair.flatMap((p) => p.b) };
  const w = summarize(runs.w);
  const b = summarize(runs.b);
  const ratio = { cpu: cpuRatio(w, b), rps: round(w.rps / b.rps, 2), p99: round(w.p99 / b.p99, 2) };
  const perRound = runs.w.map((r, i) => cpuRatio(summarize([r]), summarize([runs.b[i]]))).filter((x) => x !== null);
  const cpuRatioRange: [number, number] | undefined = perRound.length > 0 ? [Math.min(...perRound), Math.max(...perRound)] : undefined;
  const cpuRatioByPair = byPair.map((p) => cpuRatio(summarize(p.w), summarize(p.b)));
  return { scenario, connections, webhook: w, baseline: b, ratio, cpuRatioRange, cpuRatioByPair };
}

type Memory = Awaited<ReturnType<typeof sustained>>;

async function sustained(server: RunningServer, ca: string, idleRssMb: number) {
  const pid = server.child.pid as number;
  const samples: number[] = [];
  const timer = setInterval(() => samples.push(rssMb(pid)), 1000);
  const bodies = Object.values(REALISTIC).map((m) => m());
  const results = await Promise.all(bodies.map((b) => load(server, ca, b, 8, { seconds: memorySeconds })));
  clearInterval(timer);
  const afterLoad: number[] = [];
  for (let s = 0; s < idleSeconds; s++) {
    await new Promise((r) => setTimeout(r, 1000));
    afterLoad.push(rssMb(pid));
  }
  return {
    idleRssMb,
    startRssMb: samples[0] ?? rssMb(pid),
    endRssMb: samples.at(-1) ?? rssMb(pid),
    maxRssMb: Math.max(...samples, 0),
    samples,
    requests: results.reduce((a, r) => a + r.requests, 0),
    errors: results.reduce((a, r) => a + r.errors, 0),
    idleSeconds,
    afterLoadRssMb: afterLoad.at(-1) ?? rssMb(pid),
    afterLoadSamples: afterLoad,
  };
}

function describeMemory(name: string, m: Memory): string {
  return (
    `${name.padEnd(9)} idle ${m.idleRssMb}; under load ${m.startRssMb} after 1 s, ${m.endRssMb} after ${memorySeconds} s, max ${m.maxRssMb}` +
    ` (${m.requests} requests, ${m.errors} errors); ${m.afterLoadRssMb} after ${m.idleSeconds} s idle`
  );
}

async function startupTimes(argsFor: string[]) {
  const runs: number[] = [];
  for (let i = 0; i < (smoke ? 1 : 5); i++) {
    const t0 = performance.now();
    const server = await startServer('startup', CLI, argsFor);
    for (;;) {
      const res = await fetch(`http://127.0.0.1:${server.healthPort}/readyz`).catch(() => undefined);
      if (res?.status === 200) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    runs.push(Math.round(performance.now() - t0));
    await server.stop();
  }
  return { runs, medianMs: median(runs) };
}

function printTable(rows: Row[]) {
  const header = ['scenario', 'conns', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', 'CPU µs/req', 'base req/s', 'base p99', 'base CPU µs', 'CPU ×', 'CPU × rounds', 'CPU × pairs', 'req/s ×', 'p99 ×'];
  const lines = rows.map((r) => [
    r.scenario, r.connections, r.webhook.rps, r.webhook.p50, r.webhook.p95, r.webhook.p99, r.webhook.errors, r.webhook.cpuPerRequestUs,
    r.baseline?.rps ?? '', r.baseline?.p99 ?? '', r.baseline?.cpuPerRequestUs ?? '', r.ratio?.cpu ?? '', r.cpuRatioRange?.join('–') ?? '', r.cpuRatioByPair?.join(' ') ?? '', r.ratio?.rps ?? '', r.ratio?.p99 ?? '',
  ].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(fmt(header));
  for (const l of lines) console.log(fmt(l));
}

withBenchTls('bench', main).catch((err) => {
  console.error(err);
  process.exit(1);
});
