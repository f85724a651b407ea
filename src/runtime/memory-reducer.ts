import { Script } from 'node:vm';

/**
 * Lets V8's memory reducer give memory back once the webhook has gone idle after a burst.
 *
 * The webhook is idle most of the time, between bursts of Jobs being created. V8 keeps the heap
 * pages a collection frees in a pool, committed, and only a memory-reducing collection, started by
 * its memory reducer when it sees a low allocation rate, releases them. From V8 13.1 (Node 24 and
 * later) the reducer never sees a low rate in a process that makes no cppgc allocations: the C++
 * heap's allocation throughput is then exactly 0, which V8 counts as the highest rate (V8 issue
 * 570738027, nodejs/node#66564). The pool stays resident: 170-290 MB after load on Node 24.
 *
 * Compiling a `vm.Script` is Node's one cppgc allocation, and one makes that throughput positive for
 * about 100 s. It is done only once the last `idleMs` saw at most `quietRequests` admission requests
 * (one a second by default, so a trickle of CronJob runs still counts as quiet): V8 13's reducer
 * reacts to one quiet 8 s tick, and letting it shrink the heap in every short pause of a burst cost
 * 8-25% more CPU per admission at 16 and 64 connections, to grow the heap again. Does nothing
 * measurable on runtimes without the bug.
 */
export interface IdleNudgeOptions {
  /** The window looked at. */
  idleMs?: number;
  /** At most this many requests in the window count as quiet. */
  quietRequests?: number;
  /** How often the request count is sampled. */
  checkMs?: number;
  allocate?: () => void;
}

export interface MemoryReducerNudge {
  stop(): void;
}

export function nudgeMemoryReducerWhenIdle(requestsReceived: () => number, options: IdleNudgeOptions = {}): MemoryReducerNudge {
  const { idleMs = 30_000, checkMs = 10_000, allocate = compileEmptyScript } = options;
  const quietRequests = options.quietRequests ?? Math.floor(idleMs / 1000);
  const windowChecks = Math.max(1, Math.ceil(idleMs / checkMs));
  // Counts sampled at the last windowChecks + 1 checks, oldest first.
  const counts = [requestsReceived()];
  const timer = setInterval(() => {
    counts.push(requestsReceived());
    if (counts.length > windowChecks + 1) counts.shift();
    if (counts.length === windowChecks + 1 && counts[windowChecks] - counts[0] <= quietRequests) allocate();
  }, checkMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

function compileEmptyScript(): void {
  new Script('0');
}
