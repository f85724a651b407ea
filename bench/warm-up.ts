import { load, type RunningServer } from './lib.js';
import { REALISTIC } from './objects.js';

export interface WarmUp {
  kinds: string[];
  cycles: number;
  connections: number;
  requestsPerServer: Record<string, number>;
  errors: number;
}

/**
 * A running webhook admits Jobs, CronJobs and Deployments interleaved, so its compiled code has seen
 * every kind's object shapes. Scenarios come one kind at a time: without this, the first rows of each
 * new kind measured the webhook deoptimizing and recompiling for shapes it had not seen, which a
 * long-running webhook does once in its life, and the first scenario measured servers whose compiler
 * had not caught up yet (the baseline's one-connection Job row cost up to 23% more than its other
 * one-connection rows). The baseline gets the same warm-up.
 */
export async function warmUpOnEveryKind(servers: RunningServer[], ca: string, perLoad: { seconds?: number; amount?: number }, cycles: number): Promise<WarmUp> {
  const kinds = Object.keys(REALISTIC);
  const bodies = Object.values(REALISTIC).map((make) => make());
  const connections = 16;
  const requestsPerServer: Record<string, number> = {};
  let errors = 0;
  for (let cycle = 0; cycle < cycles; cycle++) {
    for (const body of bodies) {
      for (const server of servers) {
        const result = await load(server, ca, body, connections, perLoad);
        requestsPerServer[server.name] = (requestsPerServer[server.name] ?? 0) + result.requests;
        errors += result.errors;
      }
    }
  }
  return { kinds, cycles, connections, requestsPerServer, errors };
}
