import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nudgeMemoryReducerWhenIdle } from '../../src/runtime/memory-reducer.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('never nudges while requests keep arriving; once quiet for idleMs, nudges on every check until stopped', async () => {
  let busy = true;
  let requests = 0;
  // While busy, every look at the count sees a new request, however late the timers run.
  const requestsReceived = () => (busy ? ++requests : requests);
  let allocations = 0;
  const nudge = nudgeMemoryReducerWhenIdle(requestsReceived, { idleMs: 100, checkMs: 10, allocate: () => allocations++ });
  try {
    await sleep(300);
    expect(requests).toBeGreaterThan(3);
    expect(allocations).toBe(0);
    busy = false;
    await sleep(400);
    expect(allocations).toBeGreaterThanOrEqual(2);
    busy = true;
    await sleep(50);
    const whenBusyAgain = allocations;
    await sleep(150);
    expect(allocations).toBe(whenBusyAgain);
    busy = false;
    await sleep(400);
    expect(allocations).toBeGreaterThan(whenBusyAgain);
  } finally {
    nudge.stop();
  }
  const atStop = allocations;
  await sleep(100);
  expect(allocations).toBe(atStop);
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
