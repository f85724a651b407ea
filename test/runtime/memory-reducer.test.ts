import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nudgeMemoryReducer } from '../../src/runtime/memory-reducer.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('allocates at once, again on every interval, and never after stop()', async () => {
  let allocations = 0;
  const nudge = nudgeMemoryReducer(20, () => allocations++);
  expect(allocations).toBe(1);
  await sleep(150);
  expect(allocations).toBeGreaterThanOrEqual(3);
  nudge.stop();
  const atStop = allocations;
  await sleep(100);
  expect(allocations).toBe(atStop);
});

test('does not keep the process alive: a process that only starts the nudge exits by itself', async () => {
  const module = fileURLToPath(new URL('../../src/runtime/memory-reducer.js', import.meta.url));
  const child = spawn(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(module)}); m.nudgeMemoryReducer(); console.log('started');`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
  clearTimeout(killer);
  expect(out.trim()).toBe('started');
  expect(signal).toBeNull();
  expect(code).toBe(0);
}, 20_000);
