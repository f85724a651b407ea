/**
 * In-process cost of answering one admission (handler plus response text), in a loop and cold.
 *
 * At one connection the server idles between requests, and by the next one the CPU caches hold
 * other work (TLS, HTTP parsing, the kernel, other tenants of the machine): the handler's code and
 * data come back from memory. A loop keeps them in the caches and hides that cost, which made
 * changes that cut it look like no change at all. Here every cold admission is preceded by writing
 * 8 MB (four times this machine's 2 MB L2 per core) and by unrelated code (AES-GCM, JSON), then
 * timed alone. `npm run bench` reports it; `npm run bench:cold` runs only this, and
 * `npm run bench:cold -- --against DIR` compares this build's handler with another's, in one process.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import * as thisReview from '../src/admission/review.js';
import * as thisHandler from '../test/support/handler.js';
import { decodePatch } from '../test/support/patch.js';
import { UsageError, type OptionSpec } from '../src/cli/options.js';
import { median, percentile, round } from './lib.js';
import { argsOrExit, numberOption, readBenchArgs } from './options.js';
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

/** Review in, answer text out, as the server's route builds it. */
type Answer = (body: unknown) => string;

/** What a build must export for its handler to be timed here (its `dist/` modules of these names). */
interface BuildModules {
  review: Pick<typeof thisReview, 'readReview' | 'reviewResponse'>;
  handler: Pick<typeof thisHandler, 'standaloneHandler'>;
}

function answerOf({ review, handler: support }: BuildModules): Answer {
  const { handler } = support.standaloneHandler({ log: pino({ level: 'warn' }) });
  return (body) => {
    const r = review.readReview(body);
    return review.reviewResponse(r.version, handler.handle(r.request).response);
  };
}

const BODIES = Object.entries(REALISTIC).map(([scenario, make]) => ({ scenario, text: make() }));

/** Lengths of every answer, summed and checked, so that no answer can be optimized away. */
let answered = 0;

/** Compiled code that has seen every kind, as in a running server. */
function warmUp(answer: Answer): void {
  for (let i = 0; i < 60_000; i++) answered += answer(JSON.parse(BODIES[i % BODIES.length].text)).length;
}

export function handlerCost(coldRuns: number): HandlerCostRow[] {
  const answer = answerOf({ review: thisReview, handler: thisHandler });
  warmUp(answer);

  const evict = evictor();
  const rows: HandlerCostRow[] = [];
  for (const { scenario, text } of BODIES) {
    const parsed = Array.from({ length: 1000 }, () => JSON.parse(text) as unknown);
    const t0 = process.hrtime.bigint();
    for (let pass = 0; pass < 20; pass++) for (const body of parsed) answered += answer(body).length;
    const loopUs = Number(process.hrtime.bigint() - t0) / 1000 / (20 * parsed.length);

    const cold: number[] = [];
    for (let i = 0; i < coldRuns; i++) {
      evict(i);
      cold.push(timeCold(answer, text));
    }
    cold.sort((a, b) => a - b);
    rows.push({ scenario, loopUs: round(loopUs, 2), coldUs: round(percentile(cold, 50) ?? 0, 2), coldP90Us: round(percentile(cold, 90) ?? 0, 2) });
  }
  if (answered === 0) throw new Error('no answers');
  return rows;
}

/** One admission of a freshly parsed body, timed alone (µs). */
function timeCold(answer: Answer, text: string): number {
  const body = JSON.parse(text) as unknown;
  const start = process.hrtime.bigint();
  answered += answer(body).length;
  return Number(process.hrtime.bigint() - start) / 1000;
}

export interface PairedCostRow {
  scenario: string;
  /** Medians of the cold admissions of each build. */
  thisUs: number;
  otherUs: number;
  /** Median over the pairs of (this − other): what the comparison is about. */
  differenceUs: number;
}

/**
 * This build against another, both loaded in this process and timed cold in alternation (the order
 * flipped every pair), with the caches evicted before each admission. Separate runs of `bench:cold`
 * move by more than the differences worth measuring on a shared machine; pairs taken a few
 * microseconds apart see the same machine. `otherDir` is a checkout or copy with a built `dist/`.
 */
export async function pairedHandlerCost(otherDir: string, pairs: number): Promise<PairedCostRow[]> {
  const dist = join(resolve(otherDir), 'dist');
  const load = (path: string) => import(pathToFileURL(join(dist, path)).href);
  const other = answerOf({ review: await load('src/admission/review.js'), handler: await load('test/support/handler.js') });
  const mine = answerOf({ review: thisReview, handler: thisHandler });
  for (const { scenario, text } of BODIES) {
    if (!sameAnswer(mine(JSON.parse(text)), other(JSON.parse(text)))) throw new Error(`${otherDir} answers the ${scenario} differently; only builds giving the same answers are compared`);
  }
  warmUp(mine);
  warmUp(other);

  const evict = evictor();
  const rows: PairedCostRow[] = [];
  for (const { scenario, text } of BODIES) {
    const mineUs: number[] = [];
    const otherUs: number[] = [];
    const differences: number[] = [];
    for (let i = 0; i < pairs; i++) {
      let a: number;
      let b: number;
      evict(i);
      if (i % 2 === 0) {
        a = timeCold(mine, text);
        evict(i);
        b = timeCold(other, text);
      } else {
        b = timeCold(other, text);
        evict(i);
        a = timeCold(mine, text);
      }
      mineUs.push(a);
      otherUs.push(b);
      differences.push(a - b);
    }
    rows.push({ scenario, thisUs: round(median(mineUs) ?? 0, 2), otherUs: round(median(otherUs) ?? 0, 2), differenceUs: round(median(differences) ?? 0, 2) });
  }
  if (answered === 0) throw new Error('no answers');
  return rows;
}

/** Equal answers up to how the patch is encoded (base64 pieces may be padded with spaces differently). */
function sameAnswer(a: string, b: string): boolean {
  const parse = (text: string) => {
    const review = JSON.parse(text) as { response: { patch?: string } };
    const patch = review.response.patch === undefined ? undefined : decodePatch(review.response);
    return JSON.stringify({ ...review, response: { ...review.response, patch } });
  };
  return parse(a) === parse(b);
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

const OPTIONS: readonly OptionSpec[] = [
  numberOption('runs', 'cold admissions per kind (pairs with --against); default 3000'),
  { name: 'against', type: 'string', description: 'another build (a directory with dist/): time both in this process, in alternation' },
];

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = argsOrExit(() => {
    const a = readBenchArgs(OPTIONS, process.argv.slice(2), 'usage: npm run bench:cold -- [--runs N] [--against DIR]');
    const against = a.values.against as string | undefined;
    if (against !== undefined && !existsSync(join(against, 'dist', 'test', 'support', 'handler.js'))) {
      throw new UsageError(`--against ${against}: no built checkout there (run npm run build in it)`);
    }
    return { runs: a.positive('runs', 3000), against };
  });
  if (args.against === undefined) {
    for (const row of handlerCost(args.runs)) console.log(describeHandlerCost(row));
  } else {
    console.log(`this build against ${args.against}: cold, in one process, ${args.runs} alternating pairs per kind (medians)`);
    for (const r of await pairedHandlerCost(args.against, args.runs)) {
      console.log(`${r.scenario.padEnd(42)} this ${r.thisUs} µs, other ${r.otherUs} µs, this − other ${r.differenceUs} µs`);
    }
  }
}
