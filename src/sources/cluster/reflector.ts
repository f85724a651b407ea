import type { Logger } from 'pino';
import { Watch, type KubeConfig } from '@kubernetes/client-node';
import { Backoff, jittered } from './backoff.js';
import { withTimeout } from './timeout.js';
import { errorMessage, errorStatus } from '../../kube/api-errors.js';

/** A Kubernetes object as the reflector sees it: only metadata is required. */
export interface KubeObject {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> };
}

export interface ListPage<T> {
  items: T[];
  resourceVersion: string;
  continueToken?: string;
}

/** Where the cache gets its data: one list (paged) and the matching watch. */
export interface ListWatchTarget<T extends KubeObject> {
  /** For logs, metrics and readiness: `controller`, `namespaces`, ... */
  name: string;
  list(continueToken: string | undefined): Promise<ListPage<T>>;
  /** API path of the collection to watch, e.g. `/api/v1/namespaces`. */
  watchPath: string;
  /** Selectors, sent with the watch exactly as with the list. */
  watchQuery: Record<string, string>;
}

/** What the reflector tells its store. */
export interface ReflectorStore<T> {
  replace(items: T[]): void;
  upsert(item: T): void;
  remove(item: T): void;
}

export type RestartReason = 'ended' | 'error' | 'expired' | 'watchdog' | 'resync';

export interface ReflectorOptions {
  kubeConfig: KubeConfig;
  log: Logger;
  /** Server-side bound of each watch (jittered by 10%). */
  watchTimeoutSeconds: number;
  /** Full relist period (jittered by 10%). */
  resyncMs: number;
  /** A watch that delivered nothing for this long is presumed half-open and restarted. */
  watchdogMs: number;
  /** A list page not answered within this is an error (retried with backoff); default 60 s. */
  listTimeoutMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  random?: () => number;
  onRestart?: (source: string, reason: RestartReason) => void;
  onSync?: (source: string) => void;
}

export interface ReflectorStatus {
  synced: boolean;
  /** Last time the API server answered a list or delivered a watch event (ms since epoch); 0 before. */
  lastContactMs: number;
  lastError?: string;
  /** Watching right now (a connection is open). */
  watching: boolean;
}

class ExpiredError extends Error {}

/**
 * A watch the server ends sooner than this without delivering anything counts as a failure (as in
 * client-go): an API server going away or a proxy that closes streams would otherwise be asked again
 * at once, in a tight loop, since a normal end resets the backoff.
 */
const SHORT_WATCH_MS = 1000;

/**
 * List, then watch from the list's resourceVersion, forever: the loop client-go's reflector runs,
 * built on the client library's Watch so that nothing in it stops for good. Every watch is bounded
 * server-side and restarted when it ends; errors back off exponentially with jitter; 410 Gone
 * relists; bookmarks move the resourceVersion on; a watchdog ends a silent (half-open) watch; a
 * jittered periodic relist repairs anything a lost event may have left wrong.
 */
export class Reflector<T extends KubeObject> {
  private readonly watch: Watch;
  private readonly backoff: Backoff;
  private readonly random: () => number;
  private resourceVersion: string | undefined;
  private stopped = false;
  private watchdog: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private relistWanted = true;
  private restartReason: RestartReason | undefined;
  private readonly state: ReflectorStatus = { synced: false, lastContactMs: 0, watching: false };

  constructor(
    private readonly target: ListWatchTarget<T>,
    private readonly store: ReflectorStore<T>,
    private readonly opts: ReflectorOptions,
  ) {
    this.watch = new Watch(opts.kubeConfig);
    this.random = opts.random ?? Math.random;
    this.backoff = new Backoff(opts.backoffInitialMs ?? 500, opts.backoffMaxMs ?? 30_000, this.random);
  }

  get name(): string {
    return this.target.name;
  }

  status(): ReflectorStatus {
    return { ...this.state };
  }

  /** Synced, and either watching now or without an error since the last list: the cache is current. */
  inContact(): boolean {
    return this.state.synced && (this.state.watching || !this.state.lastError);
  }

  start(): void {
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    for (const t of [this.watchdog, this.resyncTimer, this.retryTimer]) if (t) clearTimeout(t);
    this.wake?.();
  }

  private async run(): Promise<void> {
    const log = this.opts.log;
    this.scheduleResync();
    while (!this.stopped) {
      let listing = false;
      try {
        if (this.relistWanted || this.resourceVersion === undefined) {
          listing = true;
          await this.relist();
          listing = false;
        }
        await this.watchOnce();
        this.backoff.reset();
      } catch (err) {
        if (this.stopped) break;
        if (err instanceof ExpiredError || errorStatus(err) === 410) {
          log.info({ source: this.target.name }, 'resourceVersion expired (410 Gone); relisting');
          if (listing) this.restart('expired');
          this.relistWanted = true;
          continue;
        }
        const message = errorMessage(err);
        this.state.lastError = message;
        if (listing) this.restart('error');
        const delay = this.backoff.next();
        log.warn({ source: this.target.name, err: message, retryInMs: delay }, 'list/watch failed; retrying');
        await this.sleep(delay);
      }
    }
  }

  private async relist(): Promise<void> {
    const items: T[] = [];
    let token: string | undefined;
    let resourceVersion = '';
    do {
      // Bounded: a list never answered (a half-open connection) would otherwise stop the loop for good.
      const timeoutMs = this.opts.listTimeoutMs ?? 60_000;
      const page = await withTimeout(this.target.list(token), timeoutMs, `list not answered within ${timeoutMs} ms`);
      items.push(...page.items);
      token = page.continueToken || undefined;
      resourceVersion = page.resourceVersion;
    } while (token && !this.stopped);
    if (this.stopped) return;
    this.store.replace(items);
    this.resourceVersion = resourceVersion;
    this.relistWanted = false;
    this.contact();
    this.state.lastError = undefined;
    if (!this.state.synced) this.opts.log.info({ source: this.target.name, items: items.length }, 'initial list complete');
    this.state.synced = true;
    this.opts.onSync?.(this.target.name);
  }

  /** One watch request: resolves when it ends normally, rejects on error or expiry. */
  private watchOnce(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (err?: unknown) => {
        if (settled) return;
        settled = true;
        if (err) this.restartReason = err instanceof ExpiredError ? 'expired' : 'error';
        this.state.watching = false;
        if (this.watchdog) clearTimeout(this.watchdog);
        controller?.abort();
        if (err) reject(err);
        else resolve();
      };
      let controller: AbortController | undefined;
      const armWatchdog = () => {
        if (this.watchdog) clearTimeout(this.watchdog);
        this.watchdog = setTimeout(() => {
          this.opts.log.warn({ source: this.target.name, silentMs: this.opts.watchdogMs }, 'watch silent for too long; restarting it');
          this.restartReason = 'watchdog';
          finish();
        }, this.opts.watchdogMs);
      };
      const query: Record<string, string | number | boolean> = {
        ...this.target.watchQuery,
        resourceVersion: this.resourceVersion ?? '',
        allowWatchBookmarks: true,
        timeoutSeconds: Math.max(1, jittered(this.opts.watchTimeoutSeconds, 0.1, this.random)),
      };
      this.wake = () => finish();
      armWatchdog();
      this.state.watching = true;
      const startedMs = Date.now();
      let delivered = false;
      this.watch
        .watch(
          this.target.watchPath,
          query,
          (type: string, object: unknown) => {
            if (settled) return;
            delivered = true;
            armWatchdog();
            this.contact();
            this.onEvent(type, object, finish);
          },
          (err: unknown) => {
            if (errorStatus(err) === 410) finish(new ExpiredError('410'));
            else if (err && !isAbort(err)) finish(err);
            else {
              const lastedMs = Date.now() - startedMs;
              finish(!delivered && lastedMs < SHORT_WATCH_MS ? new Error(`watch closed after ${lastedMs} ms with no event`) : undefined);
            }
          },
        )
        .then(
          (c) => {
            controller = c;
            if (settled || this.stopped) c.abort();
          },
          (err) => finish(err),
        );
    }).finally(() => {
      this.wake = undefined;
      if (!this.stopped) this.restart(this.restartReason ?? 'ended');
      this.restartReason = undefined;
    });
  }

  private onEvent(type: string, object: unknown, finish: (err?: unknown) => void): void {
    const obj = object as T & { code?: number; message?: string };
    const rv = obj?.metadata?.resourceVersion;
    switch (type) {
      case 'ADDED':
      case 'MODIFIED':
        this.store.upsert(obj);
        break;
      case 'DELETED':
        this.store.remove(obj);
        break;
      case 'BOOKMARK':
        break;
      case 'ERROR':
        if (obj?.code === 410) finish(new ExpiredError('410'));
        else finish(new Error(`watch error event: ${obj?.code ?? ''} ${obj?.message ?? ''}`.trim()));
        return;
      default:
        return;
    }
    if (rv) this.resourceVersion = rv;
  }

  private restart(reason: RestartReason): void {
    this.opts.onRestart?.(this.target.name, reason);
  }

  private contact(): void {
    this.state.lastContactMs = Date.now();
  }

  private scheduleResync(): void {
    if (this.stopped) return;
    this.resyncTimer = setTimeout(() => {
      this.relistWanted = true;
      this.restartReason = 'resync';
      this.wake?.();
      this.scheduleResync();
    }, jittered(this.opts.resyncMs, 0.1, this.random));
    this.resyncTimer.unref();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.retryTimer = setTimeout(resolve, ms);
      this.wake = () => {
        if (this.retryTimer) clearTimeout(this.retryTimer);
        resolve();
      };
    });
  }
}

function isAbort(err: unknown): boolean {
  return (err as { name?: string })?.name === 'AbortError' || (err as { type?: string })?.type === 'aborted';
}
