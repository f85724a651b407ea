import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nudgeMemoryReducerWhenIdle } from '../../src/runtime/memory-reducer.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A request counter whose rate per check is set by the test: `perCheck` requests at every look. */
function fakeServer() {
  const server = {
    perCheck: 1,
    checks: 0,
    requests: 0,
    received: () => {
      server.checks += 1;
      server.requests += server.perCheck;
      return Math.floor(server.requests);
    },
    /** Waits for n more checks: counted, not timed, so that late timers cannot make a test flaky. */
    async checksPass(n: number) {
      const until = server.checks + n;
      while (server.checks < until) await sleep(5);
    },
  };
  return server;
}

test('never nudges while requests keep arriving; once quiet for a window, nudges on every check until stopped', async () => {
  const server = fakeServer();
  let allocations = 0;
  const nudge = nudgeMemoryReducerWhenIdle(server.received, { idleMs: 100, checkMs: 10, allocate: () => allocations++ });
  try {
    await server.checksPass(30);
    expect(allocations).toBe(0);
    server.perCheck = 0;
    await server.checksPass(15); // a whole window of ten checks, and five more
    expect(allocations).toBeGreaterThanOrEqual(4);
    server.perCheck = 1;
    await server.checksPass(1);
    const whenBusyAgain = allocations;
    await server.checksPass(20);
    expect(allocations).toBe(whenBusyAgain);
    server.perCheck = 0;
    await server.checksPass(15);
    expect(allocations).toBeGreaterThan(whenBusyAgain);
  } finally {
    nudge.stop();
  }
  const atStop = allocations;
  await sleep(100);
  expect(allocations).toBe(atStop);
});

test('a trickle of requests, at most quietRequests per window, still counts as quiet; more does not', async () => {
  const server = fakeServer();
  server.perCheck = 0.25; // one request every fourth check: two or three per window of ten
  let allocations = 0;
  const nudge = nudgeMemoryReducerWhenIdle(server.received, { idleMs: 100, checkMs: 10, quietRequests: 3, allocate: () => allocations++ });
  try {
    await server.checksPass(20);
    expect(server.requests).toBeGreaterThan(3);
    expect(allocations).toBeGreaterThanOrEqual(5);
    server.perCheck = 1; // ten per window, once a whole window has passed
    await server.checksPass(11);
    const whenBusier = allocations;
    await server.checksPass(20);
    expect(allocations).toBe(whenBusier);
  } finally {
    nudge.stop();
  }
});

test('does not keep the process alive: a process that only starts the nudge exits by itself', async () => {
  const module = fileURLToPath(new URL('../../src/runtime/memory-reducer.js', import.meta.url));
  const script = `const m = await import(${JSON.stringify(module)}); m.nudgeMemoryReducerWhenIdle(() => 0); console.log('started');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
  clearTimeout(killer);
  expect(out.trim()).toBe('started');
  expect(signal).toBeNull();
  expect(code).toBe(0);
}, 20_000);
