import { CoreV1Api, type KubeConfig, type V1Namespace } from '@kubernetes/client-node';
import { MODE_LABEL, parseMode, type Mode, type NamespaceModeSource } from '../types.js';
import type { ListWatchTarget, ReflectorStore } from './reflector.js';
import { errorMessage, unlessNotFound } from '../../kube/api-errors.js';
import { withTimeout } from './timeout.js';
import { isDnsLabel } from '../../kube/names.js';

/** Only namespaces carrying the opt-in label are listed and watched. */
export function namespaceTarget(kc: KubeConfig): ListWatchTarget<V1Namespace> {
  const api = kc.makeApiClient(CoreV1Api);
  const labelSelector = MODE_LABEL;
  return {
    name: 'namespaces',
    async list(token) {
      const list = await api.listNamespace({ labelSelector, _continue: token, limit: 500 });
      return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '', continueToken: list.metadata?._continue };
    },
    watchPath: '/api/v1/namespaces',
    watchQuery: { labelSelector },
  };
}

/** One namespace, read live; undefined when it does not exist. */
export function namespaceReader(kc: KubeConfig): (name: string) => Promise<V1Namespace | undefined> {
  const api = kc.makeApiClient(CoreV1Api);
  // Rethrown as one line: the lookup logs it, and ApiException's message carries the whole body.
  return (name) =>
    unlessNotFound(api.readNamespace({ name })).catch((err: unknown) => {
      throw new Error(errorMessage(err));
    });
}

/** What a live lookup found: counted in metrics. `throttled`: not asked, over the rate limit. */
export type LookupResult = 'opted_in' | 'not_opted_in' | 'failed' | 'throttled';

export interface NamespaceLookupOptions {
  /** Reads one namespace from the API server; undefined when it does not exist. */
  read(name: string): Promise<V1Namespace | undefined>;
  /** A lookup that takes longer fails the admission waiting for it (it carries on, and is kept). */
  timeoutMs: number;
  /** How long a looked-up answer stands in for the watch. */
  rememberMs: number;
  /**
   * Reads allowed per second, and in one burst: anyone who can reach the webhook port can send
   * reviews for made-up namespaces, and each would otherwise cost the API server a read.
   */
  ratePerSecond: number;
  burst: number;
  /** After each read (with how long it took) and each throttled lookup. */
  onLookup?: (namespace: string, result: LookupResult, detail?: { error?: string; ms?: number }) => void;
  now?: () => number;
}

/** Beyond this many remembered lookups, the oldest answers are forgotten (they are asked again). */
const MAX_REMEMBERED = 10_000;

/**
 * name -> mode of every opted-in namespace; a namespace not in the map is not mutated. With a
 * lookup, a namespace the watch has not delivered yet is read from the API server once and its
 * answer remembered for a while; any watch event or relist for it takes over at once.
 */
export class NamespaceModeStore implements ReflectorStore<V1Namespace>, NamespaceModeSource {
  private modes = new Map<string, Mode>();
  private readonly remembered = new Map<string, { mode: Mode | undefined; until: number }>();
  private readonly asking = new Map<string, Promise<void>>();
  /** Namespaces the watch spoke about while a lookup of them was under way: its answer is older. */
  private readonly superseded = new Set<string>();
  private readonly now: () => number;
  private tokens: number;
  private refilledAt: number;

  constructor(private readonly lookup?: NamespaceLookupOptions) {
    this.now = lookup?.now ?? Date.now;
    this.tokens = lookup?.burst ?? 0;
    this.refilledAt = this.now();
  }

  modeFor(namespace: string): Mode | undefined {
    const mode = this.modes.get(namespace);
    if (mode !== undefined || this.remembered.size === 0) return mode;
    return this.rememberedAnswer(namespace)?.mode;
  }

  lookUp(namespace: string): Promise<void> | undefined {
    if (!this.lookup || this.modes.has(namespace) || this.rememberedAnswer(namespace)) return undefined;
    // Not a namespace name: no such namespace can exist, so there is nothing to ask.
    if (!isDnsLabel(namespace)) return undefined;
    let pending = this.asking.get(namespace);
    if (!pending) {
      if (!this.takeToken(this.lookup)) {
        this.lookup.onLookup?.(namespace, 'throttled');
        return Promise.reject(new Error('too many namespace lookups; not asked'));
      }
      pending = this.ask(namespace, this.lookup);
      this.asking.set(namespace, pending);
    }
    return withTimeout(pending, this.lookup.timeoutMs, `namespace lookup took over ${this.lookup.timeoutMs} ms`);
  }

  replace(items: V1Namespace[]): void {
    const next = new Map<string, Mode>();
    for (const ns of items) {
      const mode = parseMode(ns.metadata?.labels?.[MODE_LABEL]);
      if (ns.metadata?.name && mode) next.set(ns.metadata.name, mode);
    }
    this.modes = next;
    this.remembered.clear();
    for (const name of this.asking.keys()) this.superseded.add(name);
  }

  upsert(item: V1Namespace): void {
    const name = item.metadata?.name;
    if (!name) return;
    const mode = parseMode(item.metadata?.labels?.[MODE_LABEL]);
    if (mode) this.modes.set(name, mode);
    else this.modes.delete(name);
    this.forgetLookup(name);
  }

  remove(item: V1Namespace): void {
    const name = item.metadata?.name;
    if (!name) return;
    this.modes.delete(name);
    this.forgetLookup(name);
  }

  private forgetLookup(name: string): void {
    this.remembered.delete(name);
    if (this.asking.has(name)) this.superseded.add(name);
  }

  private takeToken(lookup: NamespaceLookupOptions): boolean {
    const now = this.now();
    this.tokens = Math.min(lookup.burst, this.tokens + ((now - this.refilledAt) / 1000) * lookup.ratePerSecond);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private rememberedAnswer(namespace: string): { mode: Mode | undefined } | undefined {
    const entry = this.remembered.get(namespace);
    if (!entry) return undefined;
    if (entry.until > this.now()) return entry;
    this.remembered.delete(namespace);
    return undefined;
  }

  private async ask(namespace: string, lookup: NamespaceLookupOptions): Promise<void> {
    const started = this.now();
    try {
      const found = await lookup.read(namespace);
      const mode = parseMode(found?.metadata?.labels?.[MODE_LABEL]);
      if (!this.superseded.has(namespace)) {
        if (this.remembered.size >= MAX_REMEMBERED) this.remembered.delete(this.remembered.keys().next().value as string);
        this.remembered.set(namespace, { mode, until: this.now() + lookup.rememberMs });
      }
      lookup.onLookup?.(namespace, mode ? 'opted_in' : 'not_opted_in', { ms: this.now() - started });
    } catch (err) {
      lookup.onLookup?.(namespace, 'failed', { error: (err as Error).message, ms: this.now() - started });
      throw err;
    } finally {
      this.asking.delete(namespace);
      this.superseded.delete(namespace);
    }
  }
}
