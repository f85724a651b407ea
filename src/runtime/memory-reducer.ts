import { Script } from 'node:vm';

/**
 * Keeps V8's memory reducer able to give memory back after a burst of admissions.
 *
 * The webhook is idle most of the time, between bursts of Jobs being created. After a burst, V8's
 * memory reducer is meant to notice the low allocation rate, run a memory-reducing GC and so free
 * the heap pages it keeps pooled for reuse. From V8 13.1 (Node 24 and later) it never sees a low
 * rate in a process that makes no cppgc allocations: the C++ heap's allocation throughput is then
 * exactly 0, which V8 counts as the highest rate (V8 issue 570738027, nodejs/node#66564). The pool
 * stays resident: 150-290 MB after load on Node 24, where Node 20 returns to ~80 MB.
 *
 * Compiling a `vm.Script` is Node's one cppgc allocation. One every 30 s keeps that throughput
 * above 0 (it decays to exactly 0 about 100 s after the last one), so the reducer frees the pool
 * 10-25 s after load stops. Costs nothing measurable; does nothing on runtimes without the bug.
 */
export const NUDGE_INTERVAL_MS = 30_000;

export interface MemoryReducerNudge {
  stop(): void;
}

export function nudgeMemoryReducer(intervalMs = NUDGE_INTERVAL_MS, allocate: () => void = compileEmptyScript): MemoryReducerNudge {
  allocate();
  const timer = setInterval(allocate, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

function compileEmptyScript(): void {
  new Script('0');
}
