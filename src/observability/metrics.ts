import { Counter, Gauge, Registry } from 'prom-client';
import { DenseCounter, DenseHistogram, type Dimension } from './dense-metrics.js';
import { collectRuntimeMetrics } from './runtime-metrics.js';
import type { Decision } from '../admission/handler.js';
import type { AdmissionRequest } from '../admission/review.js';
import type { AdmissionObserver } from '../server/https-server.js';
import type { RestartReason } from '../sources/cluster/reflector.js';
import type { LookupResult } from '../sources/cluster/namespaces.js';

// The label spaces: every value a label can take, the last one catching anything else.
const KIND: Dimension = { name: 'kind', values: ['Job', 'CronJob', 'Deployment', 'other'] };
const OPERATION: Dimension = { name: 'operation', values: ['CREATE', 'UPDATE', 'DELETE', 'CONNECT', 'other'] };
const MODE: Dimension = { name: 'mode', values: ['enforce', 'audit', 'none'] };
const RESULT: Dimension = { name: 'result', values: ['mutated', 'audited', 'unchanged', 'skipped', 'ignored', 'error'] };
const CHANGE: Dimension = { name: 'change', values: ['tolerations', 'component-label', 'selector'] };

/** Index of `value` in the dimension, or of its last value ('other', 'none') when absent. */
function indexOf(dim: Dimension, value: string | undefined): number {
  const i = value === undefined ? -1 : dim.values.indexOf(value);
  return i === -1 ? dim.values.length - 1 : i;
}

/**
 * Prometheus metrics, all prefixed fleet_webhook_ (the default process and Node.js metrics keep
 * their standard names). Labels are bounded: kind, operation, mode, result, change, source, reason;
 * never object or namespace names.
 */
export interface LiveState {
  sources?: () => { name: string; connected: boolean }[];
  controllerTolerations?: () => number | undefined;
  certificateNotAfter?: () => Date;
  inFlight?: () => number;
}

export class Metrics implements AdmissionObserver {
  readonly registry = new Registry();
  private live: LiveState = {};
  private readonly requests = new DenseCounter(
    'fleet_webhook_admission_requests_total',
    'Admission reviews answered, by result (mutated, audited, unchanged, skipped, ignored, error)',
    [KIND, OPERATION, MODE, RESULT],
  );
  private readonly duration = new DenseHistogram(
    'fleet_webhook_admission_duration_seconds',
    'Time from request arrival to response, by kind and mode',
    [KIND, MODE],
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  );
  private readonly mutations = new DenseCounter(
    'fleet_webhook_mutations_total',
    'Changes patched in enforce mode, by kind and change (tolerations, component-label, selector)',
    [KIND, CHANGE],
  );
  private readonly wouldMutate = new DenseCounter('fleet_webhook_audit_would_mutate_total', 'Changes computed but not applied in audit mode, by kind and change', [KIND, CHANGE]);
  private readonly failOpen = new Counter({
    name: 'fleet_webhook_fail_open_total',
    help: 'Requests allowed without mutation because of a problem, by reason (internal_error, deadline, overload, namespace_unknown)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  private readonly httpErrors = new Counter({
    name: 'fleet_webhook_http_errors_total',
    help: 'Requests refused before admission (bad body, wrong content type, too large, overload), by status code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly collisions = new Counter({
    name: 'fleet_webhook_selector_collisions_total',
    help: 'Selector collisions found at admission, by the new workload kind and the kind whose selector matches',
    labelNames: ['kind', 'other_kind'] as const,
    registers: [this.registry],
  });
  private readonly namespaceLookups = new Counter({
    name: 'fleet_webhook_namespace_lookups_total',
    help: 'Namespaces read from the API server because the watch had not delivered them yet, by result (opted_in, not_opted_in, failed, throttled)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  private readonly lastSync = new Gauge({
    name: 'fleet_webhook_source_last_sync_timestamp_seconds',
    help: 'Last successful list of a cluster source (Unix time)',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  private readonly restarts = new Counter({
    name: 'fleet_webhook_watch_restarts_total',
    help: 'Restarts of a cluster source list/watch loop, by reason (ended, error, expired, watchdog, resync)',
    labelNames: ['source', 'reason'] as const,
    registers: [this.registry],
  });
  private readonly sourceUp: Gauge<'source'> = new Gauge({
    name: 'fleet_webhook_source_connected',
    help: '1 while a cluster source is synced and its last contact is recent, 0 while stale or not synced',
    labelNames: ['source'] as const,
    registers: [this.registry],
    collect: () => this.live.sources?.().forEach((s) => this.sourceUp.set({ source: s.name }, s.connected ? 1 : 0)),
  });
  private readonly controllerTolerations: Gauge = new Gauge({
    name: 'fleet_webhook_controller_tolerations',
    help: 'Controller tolerations currently known (-1 while the controller Deployment is missing or not synced)',
    registers: [this.registry],
    collect: () => {
      if (this.live.controllerTolerations) this.controllerTolerations.set(this.live.controllerTolerations() ?? -1);
    },
  });
  private readonly certificateExpiry: Gauge = new Gauge({
    name: 'fleet_webhook_certificate_expiry_timestamp_seconds',
    help: 'NotAfter of the serving certificate in use (Unix time)',
    registers: [this.registry],
    collect: () => {
      if (this.live.certificateNotAfter) this.certificateExpiry.set(this.live.certificateNotAfter().getTime() / 1000);
    },
  });
  private readonly inFlight: Gauge = new Gauge({
    name: 'fleet_webhook_in_flight_requests',
    help: 'Requests being handled right now',
    registers: [this.registry],
    collect: () => {
      if (this.live.inFlight) this.inFlight.set(this.live.inFlight());
    },
  });

  constructor() {
    collectRuntimeMetrics(this.registry);
    for (const m of [this.requests, this.duration, this.mutations, this.wouldMutate]) this.registry.registerMetric(m as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  decided(decision: Decision, request: AdmissionRequest, seconds: number): void {
    const kind = indexOf(KIND, decision.kind);
    const mode = indexOf(MODE, decision.mode);
    this.requests.inc(this.requests.at(kind, indexOf(OPERATION, request.operation), mode, indexOf(RESULT, decision.outcome)));
    this.duration.observe(this.duration.at(kind, mode), seconds);
    if (decision.outcome === 'error') this.failOpen.inc({ reason: decision.failReason ?? 'internal_error' });
    const counter = decision.outcome === 'mutated' ? this.mutations : decision.outcome === 'audited' ? this.wouldMutate : undefined;
    if (counter) for (const c of decision.changes) counter.inc(counter.at(kind, indexOf(CHANGE, c.kind)));
    if (decision.collisions) for (const c of decision.collisions) this.collisions.inc({ kind: decision.kind ?? 'other', other_kind: c.otherKind });
  }

  refused(statusCode: number, reason: string): void {
    this.httpErrors.inc({ code: String(statusCode) });
    if (reason === 'overloaded') this.failOpen.inc({ reason: 'overload' });
  }

  sourceRestarted(source: string, reason: RestartReason): void {
    this.restarts.inc({ source, reason });
  }

  namespaceLookedUp(result: LookupResult): void {
    this.namespaceLookups.inc({ result });
  }

  sourceSynced(source: string): void {
    this.lastSync.set({ source }, Date.now() / 1000);
  }

  /** Gauges read at scrape time from the live state. */
  track(state: LiveState): void {
    this.live = { ...this.live, ...state };
  }

  async expose(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
