/**
 * The load generator, run in a child process of the benchmark (see `loadRaw` in lib.ts) so that its
 * garbage collection does not carry the benchmark's own state. In the benchmark's process, autocannon
 * shared a heap with every latency kept for pooling and with the garbage of all earlier runs: its
 * scavenges and mark-compacts (6-8 ms) landed inside whichever run was under way, more often in the
 * webhook's runs, whose larger answers make the generator allocate more, and showed up in that run's
 * tail. Here each run starts from a collected heap holding little more than autocannon's code, kept
 * compiled from run to run.
 */
import autocannon from 'autocannon';

export interface LoadRequest {
  url: string;
  ca: string;
  body: string;
  connections: number;
  seconds?: number;
  amount?: number;
}

export interface LoadReply {
  latencies: number[];
  seconds: number;
  errors: number;
}

const collect = (globalThis as { gc?: () => void }).gc;

process.on('message', (request: LoadRequest) => {
  collect?.();
  const latencies: number[] = [];
  const instance = autocannon({
    url: request.url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: request.body,
    connections: request.connections,
    ...(request.amount ? { amount: request.amount } : { duration: request.seconds ?? 5 }),
    timeout: 10,
    tlsOptions: { ca: request.ca },
  });
  instance.on('response', (_client, status, _bytes, ms) => {
    if (status === 200) latencies.push(ms);
  });
  instance.then(
    (result) => process.send?.({ latencies, seconds: result.duration, errors: result.errors + result.timeouts + result.non2xx } satisfies LoadReply),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
});
process.send?.('ready');
