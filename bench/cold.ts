/**
 * In-process cost of answering one admission (handler plus response text), in a loop and cold.
 *
 * At one connection the server idles between requests, and by the next one the CPU caches hold
 * other work (TLS, HTTP parsing, the kernel, other tenants of the machine): the handler's code and
 * data come back from memory. A loop keeps them in the caches and hides that cost, which made
 * changes that cut it look like no change at all. Here every cold admission is preceded by writing
 * 8 MB (four times this machine's 2 MB L2 per core) and by unrelated code (AES-GCM, JSON), then
 * timed alone. `npm run bench` reports it; `npm run bench:cold` runs only this.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { readReview, reviewResponse } from '../src/admission/review.js';
import { standaloneHandler } from '../test/support/handler.js';
import { percentile, round } from './lib.js';
import { REALISTIC } from './objects.js';

export interface HandlerCostRow {
  scenario: string;
  /** Mean per admission over a loop of parsed reviews. */
  loopUs: number;
  /** Median and 90th percentile of admissions timed one by one after evicting the caches. */
  coldUs: number;
  coldP90Us: number;
}

const EVICT_BYTES = 8 * 1024 * 1024;

export function handlerCost(coldRuns: number): HandlerCostRow[] {
  const { handler } = standaloneHandler({ log: pino({ level: 'warn' }) });
  const answer = (body: unknown) => {
    const review = readReview(body);
    return reviewResponse(review.version, handler.handle(review.request).response);
  };
  const bodies = Object.entries(REALISTIC).map(([scenario, make]) => ({ scenario, text: make() }));
  // Compiled code that has seen every kind, as in a running server.
  let length = 0;
  for (let i = 0; i < 60_000; i++) length += answer(JSON.parse(bodies[i % bodies.length].text)).length;

  const evict = evictor();
  const rows: HandlerCostRow[] = [];
  for (const { scenario, text } of bodies) {
    const parsed = Array.from({ length: 1000 }, () => JSON.parse(text) as unknown);
    const t0 = process.hrtime.bigint();
    for (let pass = 0; pass < 20; pass++) for (const body of parsed) length += answer(body).length;
    const loopUs = Number(process.hrtime.bigint() - t0) / 1000 / (20 * parsed.length);

    const cold: number[] = [];
    for (let i = 0; i < coldRuns; i++) {
      evict(i);
      const body = JSON.parse(text) as unknown;
      const start = process.hrtime.bigint();
      length += answer(body).length;
      cold.push(Number(process.hrtime.bigint() - start) / 1000);
    }
    cold.sort((a, b) => a - b);
    rows.push({ scenario, loopUs: round(loopUs, 2), coldUs: round(percentile(cold, 50) ?? 0, 2), coldP90Us: round(percentile(cold, 90) ?? 0, 2) });
  }
  if (length === 0) throw new Error('no answers');
  return rows;
}

/** Pushes the handler's code and data out of the caches, as a request's other work does. */
function evictor(): (i: number) => void {
  const filler = new Uint8Array(EVICT_BYTES);
  const key = randomBytes(32);
  const iv = randomBytes(12);
  const chunk = randomBytes(2048);
  return (i) => {
    for (let at = i & 63; at < filler.length; at += 64) filler[at]++;
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.update(chunk);
    cipher.final();
  };
}

/** One row as `npm run bench` and `npm run bench:cold` print it. */
export function describeHandlerCost(row: HandlerCostRow): string {
  return `${row.scenario.padEnd(42)} loop ${row.loopUs} µs, cold ${row.coldUs} µs (p90 ${row.coldP90Us} µs)`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const row of handlerCost(Number(process.argv[2] ?? 3000))) console.log(describeHandlerCost(row));
}
