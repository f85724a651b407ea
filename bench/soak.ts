/**
 * npm run soak [-- --seconds N --connections N]: sustained load over TLS, the connections shared out
 * among five kinds of review (gitjob Job, cleanup CronJob, controller Deployment, a shard Deployment,
 * and an UPDATE the webhook lets through), reporting errors (must be 0) and the server's resident
 * memory over time (must not keep growing). Exit code 1 when either fails.
 */
import { CLI, withBenchTls, load, machine, rssMb, standaloneServeArgs, startServer, type BenchTls } from './lib.js';
import { REALISTIC } from './objects.js';
import { argsOrExit, parseSoakArgs } from './options.js';
import { admissionReview, shardDeployment } from '../test/support/fixtures.js';

const { seconds, connections } = argsOrExit(() => parseSoakArgs(process.argv.slice(2)));

async function main({ caCert, certFile, keyFile }: BenchTls) {
  const server = await startServer('webhook', CLI, standaloneServeArgs(certFile, keyFile));
  const pid = server.child.pid as number;
  const env = machine();
  const bodies = [
    ...Object.values(REALISTIC).map((m) => m()),
    JSON.stringify(admissionReview(shardDeployment('shard-7'))),
    JSON.stringify(admissionReview(shardDeployment('shard-7'), { operation: 'UPDATE' })),
  ];
  const perLoad = Math.max(1, Math.floor(connections / bodies.length));
  console.log(`soak: ${seconds}s, ${perLoad * bodies.length} connections (${perLoad} per kind of review), on ${env.cpu} (${env.cores} cores), Node ${env.node}`);
  const samples: { t: number; rssMb: number }[] = [];
  const t0 = Date.now();
  // About 40 samples whatever the length, at most one every 5 s.
  const every = Math.min(5000, Math.max(250, (seconds * 1000) / 40));
  const timer = setInterval(() => samples.push({ t: Math.round((Date.now() - t0) / 100) / 10, rssMb: rssMb(pid) }), every);
  const results = await Promise.all(bodies.map((b) => load(server, caCert, b, perLoad, { seconds })));
  clearInterval(timer);
  await server.stop();

  const requests = results.reduce((a, r) => a + r.requests, 0);
  const errors = results.reduce((a, r) => a + r.errors, 0);
  // Growth: compare the mean of the second and last quarters (the first is warm-up).
  const q = Math.max(1, Math.floor(samples.length / 4));
  const mean = (xs: { rssMb: number }[]) => xs.reduce((a, s) => a + s.rssMb, 0) / Math.max(1, xs.length);
  const early = mean(samples.slice(q, 2 * q));
  const late = mean(samples.slice(-q));
  const growing = late > early * 1.1 + 5;
  console.log(`requests ${requests}, errors ${errors}`);
  console.log(`rss MB: start ${samples[0]?.rssMb}, end ${samples.at(-1)?.rssMb}, max ${Math.max(...samples.map((s) => s.rssMb))}; second quarter mean ${early.toFixed(1)}, last quarter mean ${late.toFixed(1)}`);
  console.log(`rss samples (s:MB): ${samples.map((s) => `${s.t}:${s.rssMb}`).join(' ')}`);
  console.log(errors === 0 && !growing ? 'PASS: no errors, memory flat' : `FAIL: ${errors} errors${growing ? ', memory keeps growing' : ''}`);
  process.exitCode = errors === 0 && !growing ? 0 : 1;
}

withBenchTls('soak', main).catch((err) => {
  console.error(err);
  process.exit(1);
});
