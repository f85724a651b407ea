import { pino } from 'pino';
import { readReview } from '../src/admission/review.js';
import { RecordIndex } from '../src/collisions/record-index.js';
import { admissionReview, gitjobJob } from '../test/support/fixtures.js';
import { standaloneHandler } from '../test/support/handler.js';
import { round } from './lib.js';

export interface CollisionRow {
  scenario: string;
  workloadsInNamespace: number;
  otherNamespaces: number;
  handleUs: number;
}

/**
 * In-process (collision detection needs a cluster cache, which the standalone server has not): the
 * handler's time per admission with N workloads cached in the admitted object's namespace, and with
 * the same N spread over 1,000 other namespaces, which must cost nothing.
 */
export function collisionScaling(sizes: readonly number[], iterations: number): CollisionRow[] {
  const review = readReview(admissionReview(gitjobJob())).request;
  const rows: CollisionRow[] = [];
  for (const n of sizes) {
    for (const spread of [false, true]) {
      const index = new RecordIndex();
      for (let i = 0; i < n; i++) {
        const namespace = spread ? `team-${i % 1000}` : 'fleet-default';
        const app = `app-${i}`;
        index.set({ kind: 'Deployment', namespace, name: app, podLabels: { app }, selector: { matchLabels: { app }, expressions: [] } });
      }
      const { handler } = standaloneHandler({ workloads: index, log: pino({ level: 'warn' }) });
      const runs = Math.max(50, Math.round(iterations / Math.max(1, n / 100)));
      for (let i = 0; i < Math.min(runs, 1000); i++) handler.handle(review);
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < runs; i++) handler.handle(review);
      const us = Number(process.hrtime.bigint() - t0) / runs / 1000;
      rows.push({ scenario: spread ? `${n} workloads in 1,000 other namespaces` : `${n} workloads in the same namespace`, workloadsInNamespace: spread ? 0 : n, otherNamespaces: spread ? 1000 : 0, handleUs: round(us, 2) });
    }
  }
  return rows;
}
