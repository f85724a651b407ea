/**
 * A small HTTP server that speaks the Kubernetes API wire protocol for the collections the webhook
 * reads: paged lists with resourceVersion, label and field selectors, chunked watch streams of
 * ADDED/MODIFIED/DELETED/BOOKMARK events that resume from a resourceVersion, 410 Gone for
 * compacted history (as an ERROR event, or as an HTTP status), injected 5xx/403, watches that hang
 * (half-open connections), dropped streams, and being down. The real client library talks to it
 * through a generated kubeconfig with a bearer token.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type Obj = Record<string, any>;

interface Collection {
  /** e.g. `namespaces`, `apps/v1/deployments`, `v1/services` */
  resource: string;
  kind: string;
  apiVersion: string;
  namespaced: boolean;
}

const COLLECTIONS: Record<string, Collection> = {
  namespaces: { resource: 'namespaces', kind: 'Namespace', apiVersion: 'v1', namespaced: false },
  deployments: { resource: 'deployments', kind: 'Deployment', apiVersion: 'apps/v1', namespaced: true },
  services: { resource: 'services', kind: 'Service', apiVersion: 'v1', namespaced: true },
  jobs: { resource: 'jobs', kind: 'Job', apiVersion: 'batch/v1', namespaced: true },
  cronjobs: { resource: 'cronjobs', kind: 'CronJob', apiVersion: 'batch/v1', namespaced: true },
  secrets: { resource: 'secrets', kind: 'Secret', apiVersion: 'v1', namespaced: true },
  mutatingwebhookconfigurations: { resource: 'mutatingwebhookconfigurations', kind: 'MutatingWebhookConfiguration', apiVersion: 'admissionregistration.k8s.io/v1', namespaced: false },
};

interface Event {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resource: string;
  object: Obj;
  /** The object before a MODIFIED event: a filtered watch turns leaving its selector into DELETED. */
  previous?: Obj;
}

interface OpenWatch {
  resource: string;
  namespace?: string;
  matches: (o: Obj) => boolean;
  res: ServerResponse;
  socket: Socket;
  hanging: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization?: string;
}

export const TOKEN = 'fake-apiserver-token';

export interface ApiServerTls {
  cert: string;
  key: string;
  /** Written into the kubeconfig as certificate-authority-data: the client verifies the server. */
  ca: string;
}

export class FakeApiServer {
  constructor(private readonly tls: ApiServerTls) {}

  private server: Server | undefined;
  private port = 0;
  private rv = 1000;
  private readonly objects = new Map<string, Map<string, Obj>>();
  private history: Event[] = [];
  /** Watches resuming from a resourceVersion older than this get 410 Gone. */
  private compactedRv = 0;
  private readonly watches = new Set<OpenWatch>();
  private readonly sockets = new Set<Socket>();
  readonly requests: RecordedRequest[] = [];
  /** Status codes to answer the next list requests with (one each). */
  listFailures: number[] = [];
  /** The next N list requests are never answered (a half-open connection, or a stuck API server). */
  hangNextLists = 0;
  /** Status codes to answer the next watch requests with (one each). */
  watchFailures: number[] = [];
  /** The next N watch requests get headers and then silence, forever (a half-open connection). */
  hangNextWatches = 0;
  /** Every watch request gets 200 and is closed at once, with no event (a proxy or an API server going away). */
  closeWatchesAtOnce = false;
  /** Answer 410 to an expired resourceVersion as an HTTP status instead of an ERROR event. */
  goneAsHttpStatus = false;
  /** The next N replaces (PUT) find the object written by someone else since it was read: 409 Conflict. */
  interveningWrites = 0;
  /** Path prefixes answered 403 Forbidden. */
  forbidden: string[] = [];
  /** Reads of single objects (GET by name) are answered this much later. */
  delayReadsMs = 0;
  /** Items per list page when the client does not ask for fewer. */
  pageSize = 500;

  get url(): string {
    return `https://localhost:${this.port}`;
  }

  async start(port = this.port): Promise<void> {
    this.server = createHttpsServer({ cert: this.tls.cert, key: this.tls.key }, (req, res) => this.handle(req, res)) as unknown as Server;
    this.server.on('secureConnection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Reserves a port without listening: a kubeconfig can point at an API server that is down. */
  async reservePort(): Promise<number> {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    this.port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    return this.port;
  }

  async stop(): Promise<void> {
    for (const w of this.watches) w.res.destroy();
    this.watches.clear();
    for (const s of this.sockets) s.destroy();
    if (this.server) await new Promise<void>((r) => this.server?.close(() => r()));
    this.server = undefined;
  }

  async writeKubeconfig(dir?: string): Promise<string> {
    dir ??= await mkdtemp(join(tmpdir(), 'kubeconfig-'));
    const file = join(dir, 'kubeconfig');
    await writeFile(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `- name: fake\n  cluster:\n    server: ${this.url}\n    certificate-authority-data: ${Buffer.from(this.tls.ca).toString('base64')}`,
        'users:',
        `- name: fake\n  user:\n    token: ${TOKEN}`,
        'contexts:',
        '- name: fake\n  context:\n    cluster: fake\n    user: fake',
        'current-context: fake',
        '',
      ].join('\n'),
    );
    return file;
  }

  // ---- state changes (each gets a new resourceVersion and is sent to matching watches) ----

  /**
   * Creates or replaces an object. `silently` changes it without telling any watch, as if the event
   * were lost: only a relist can find it.
   */
  upsert(resource: string, object: Obj, silently = false): Obj {
    const col = COLLECTIONS[resource];
    const store = this.store(resource);
    const key = objectKey(object);
    const previous = store.get(key);
    const stored = structuredClone(object);
    stored.apiVersion = col.apiVersion;
    stored.kind = col.kind;
    stored.metadata = { ...stored.metadata, resourceVersion: String(++this.rv), uid: stored.metadata?.uid ?? `uid-${key}` };
    store.set(key, stored);
    if (silently) return stored;
    this.emit({ rv: this.rv, type: previous ? 'MODIFIED' : 'ADDED', resource, object: stored, previous });
    return stored;
  }

  delete(resource: string, namespace: string | undefined, name: string): void {
    const store = this.store(resource);
    const key = storeKey(namespace, name);
    const existing = store.get(key);
    if (!existing) return;
    store.delete(key);
    const gone = structuredClone(existing);
    gone.metadata.resourceVersion = String(++this.rv);
    this.emit({ rv: this.rv, type: 'DELETED', resource, object: gone });
  }

  namespace(name: string, labels: Record<string, string> = {}): Obj {
    return this.upsert('namespaces', { metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } });
  }

  /** Forget history: watches resuming from an older resourceVersion get 410 Gone. */
  compact(): void {
    this.compactedRv = this.rv;
    this.history = [];
  }

  /** Tell open watches their resourceVersion expired (what etcd compaction looks like mid-watch). */
  expireOpenWatches(): void {
    for (const w of this.watches) {
      if (w.hanging) continue;
      writeEvent(w.res, { type: 'ERROR', object: gone() });
      w.res.end();
      this.watches.delete(w);
    }
  }

  /** Sends a BOOKMARK with the current resourceVersion to every open watch. */
  bookmark(): void {
    for (const w of this.watches) {
      if (w.hanging) continue;
      const col = COLLECTIONS[w.resource];
      writeEvent(w.res, { type: 'BOOKMARK', object: { kind: col.kind, apiVersion: col.apiVersion, metadata: { resourceVersion: String(this.rv) } } });
    }
  }

  /** Cuts every open watch mid-stream (connection reset). */
  dropWatches(): void {
    for (const w of this.watches) w.socket.destroy();
    this.watches.clear();
  }

  openWatches(resource?: string): number {
    return [...this.watches].filter((w) => !resource || w.resource === resource).length;
  }

  watchRequests(resource: string): RecordedRequest[] {
    return this.requests.filter((r) => r.query.watch === 'true' && r.path.endsWith(`/${resource}`));
  }

  // ---- protocol ----

  private store(resource: string): Map<string, Obj> {
    let s = this.objects.get(resource);
    if (!s) this.objects.set(resource, (s = new Map()));
    return s;
  }

  private emit(event: Event): void {
    this.history.push(event);
    for (const w of this.watches) {
      if (w.hanging) continue;
      const type = filteredType(event, w.resource, w.namespace, w.matches);
      if (type) writeEvent(w.res, { type, object: event.object });
    }
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const query = Object.fromEntries(url.searchParams.entries());
    this.requests.push({ method: req.method ?? '', path: url.pathname, query, authorization: req.headers.authorization });
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return status(res, 401, 'Unauthorized');
    if (this.forbidden.some((p) => url.pathname.startsWith(p))) {
      return status(res, 403, `${url.pathname} is forbidden: User "system:serviceaccount:test:fleet-webhook" cannot list resource`, 'Forbidden');
    }
    const route = parsePath(url.pathname);
    if (!route) return status(res, 404, 'the server could not find the requested resource', 'NotFound');
    if (route.name !== undefined || req.method !== 'GET') {
      this.serveObject(req, res, route);
      return;
    }
    const matches = selectorMatcher(query.labelSelector, query.fieldSelector);
    if (query.watch === 'true') this.serveWatch(req, res, route, query, matches);
    else this.serveList(res, route, query, matches);
  }

  /** Single objects: GET, POST (create, 409 if it exists), PUT (replace; 409 on a stale resourceVersion), DELETE. */
  private serveObject(req: IncomingMessage, res: ServerResponse, route: Route): void {
    if (req.method === 'GET' && route.name) {
      const answer = () => {
        const found = this.get(route.resource, route.namespace, route.name as string);
        found ? send(res, 200, found) : status(res, 404, `${route.resource} "${route.name}" not found`, 'NotFound');
      };
      if (this.delayReadsMs > 0) setTimeout(answer, this.delayReadsMs);
      else answer();
      return;
    }
    if (req.method === 'DELETE' && route.name) {
      this.delete(route.resource, route.namespace, route.name);
      return send(res, 200, { kind: 'Status', apiVersion: 'v1', status: 'Success' });
    }
    let text = '';
    req.on('data', (d) => (text += d));
    req.on('end', () => {
      const body = JSON.parse(text || '{}');
      const name = route.name ?? body.metadata?.name;
      const existing = this.get(route.resource, route.namespace, name);
      if (req.method === 'POST') {
        if (existing) return status(res, 409, `${route.resource} "${name}" already exists`, 'AlreadyExists');
        this.writes.push({ method: 'POST', resource: route.resource, name });
        return send(res, 201, this.upsert(route.resource, { ...body, metadata: { ...body.metadata, namespace: route.namespace } }));
      }
      if (req.method === 'PUT') {
        if (!existing) return status(res, 404, `${route.resource} "${name}" not found`, 'NotFound');
        let current = existing;
        if (this.interveningWrites > 0) {
          this.interveningWrites -= 1;
          current = this.upsert(route.resource, existing); // someone else's write: a new resourceVersion
        }
        if (body.metadata?.resourceVersion !== current.metadata.resourceVersion) {
          return status(res, 409, 'the object has been modified; please apply your changes to the latest version and try again', 'Conflict');
        }
        this.writes.push({ method: 'PUT', resource: route.resource, name });
        return send(res, 200, this.upsert(route.resource, { ...body, metadata: { ...body.metadata, namespace: route.namespace } }));
      }
      status(res, 405, 'method not allowed', 'MethodNotAllowed');
    });
  }

  /** Writes that succeeded, in order: what a test checks a controller did. */
  readonly writes: { method: string; resource: string; name: string }[] = [];

  /** Reads an object as stored (for assertions). */
  get(resource: string, namespace: string | undefined, name: string): Obj | undefined {
    return this.store(resource).get(storeKey(namespace, name));
  }

  private serveList(res: ServerResponse, route: Route, query: Record<string, string>, matches: (o: Obj) => boolean): void {
    const failure = this.listFailures.shift();
    if (failure) return status(res, failure, 'injected failure');
    if (this.hangNextLists > 0) {
      this.hangNextLists -= 1;
      return;
    }
    const col = COLLECTIONS[route.resource];
    const all = [...this.store(route.resource).values()]
      .filter((o) => !route.namespace || o.metadata?.namespace === route.namespace)
      .filter(matches)
      .sort((a, b) => objectKey(a).localeCompare(objectKey(b)));
    const limit = Math.min(Number(query.limit) || this.pageSize, this.pageSize);
    let start = 0;
    let listRv = String(this.rv);
    if (query.continue) {
      const token = JSON.parse(Buffer.from(query.continue, 'base64').toString());
      if (Number(token.rv) < this.compactedRv) return status(res, 410, 'The provided continue parameter is too old', 'Expired');
      start = token.start;
      listRv = token.rv;
    }
    const items = all.slice(start, start + limit);
    const next = start + limit < all.length ? Buffer.from(JSON.stringify({ start: start + limit, rv: listRv })).toString('base64') : undefined;
    send(res, 200, {
      kind: `${col.kind}List`,
      apiVersion: col.apiVersion,
      metadata: { resourceVersion: listRv, ...(next ? { continue: next } : {}) },
      items,
    });
  }

  private serveWatch(req: IncomingMessage, res: ServerResponse, route: Route, query: Record<string, string>, matches: (o: Obj) => boolean): void {
    const failure = this.watchFailures.shift();
    if (failure) return status(res, failure, 'injected watch failure');
    const fromRv = Number(query.resourceVersion || 0);
    if (fromRv && fromRv < this.compactedRv && this.goneAsHttpStatus) return status(res, 410, 'too old resource version', 'Expired');
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    if (this.closeWatchesAtOnce) return void res.end();
    res.flushHeaders();
    const hanging = this.hangNextWatches > 0;
    if (hanging) this.hangNextWatches -= 1;
    const watch: OpenWatch = { resource: route.resource, namespace: route.namespace, matches, res, socket: req.socket, hanging };
    this.watches.add(watch);
    const close = () => this.watches.delete(watch);
    res.on('close', close);
    if (hanging) return;
    if (fromRv && fromRv < this.compactedRv) {
      writeEvent(res, { type: 'ERROR', object: gone() });
      res.end();
      return;
    }
    for (const e of this.history) {
      if (e.rv <= fromRv) continue;
      const type = filteredType(e, route.resource, route.namespace, matches);
      if (type) writeEvent(res, { type, object: e.object });
    }
    const timeout = Number(query.timeoutSeconds);
    if (timeout > 0) {
      const t = setTimeout(() => {
        this.watches.delete(watch);
        res.end();
      }, timeout * 1000);
      res.on('close', () => clearTimeout(t));
    }
  }
}

/** What a watch with this filter sees of an event, as the API server's watch cache decides it. */
function filteredType(e: Event, resource: string, namespace: string | undefined, matches: (o: Obj) => boolean): Event['type'] | undefined {
  if (e.resource !== resource) return undefined;
  if (namespace && e.object.metadata?.namespace !== namespace) return undefined;
  const now = matches(e.object);
  if (e.type !== 'MODIFIED' || !e.previous) return now ? e.type : undefined;
  const before = matches(e.previous);
  if (before && now) return 'MODIFIED';
  if (before) return 'DELETED';
  if (now) return 'ADDED';
  return undefined;
}

interface Route {
  resource: string;
  namespace?: string;
  /** Set for a single object: GET, PUT (replace, optimistic on resourceVersion) and DELETE. */
  name?: string;
}

function parsePath(path: string): Route | undefined {
  const parts = path.split('/').filter(Boolean);
  // /api/v1/namespaces[/name], /api/v1/[namespaces/ns/]services[/name], /apis/group/version/[namespaces/ns/]resource[/name]
  const rest = parts[0] === 'api' ? parts.slice(2) : parts[0] === 'apis' ? parts.slice(3) : undefined;
  if (!rest) return undefined;
  if (rest.length <= 2 && COLLECTIONS[rest[0]] && !(rest.length === 2 && COLLECTIONS[rest[0]].namespaced)) return { resource: rest[0], name: rest[1] };
  if (rest.length >= 3 && rest.length <= 4 && rest[0] === 'namespaces' && COLLECTIONS[rest[2]]?.namespaced) return { resource: rest[2], namespace: rest[1], name: rest[3] };
  return undefined;
}

function objectKey(o: Obj): string {
  return storeKey(o.metadata?.namespace, String(o.metadata?.name));
}

function storeKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** Label selectors: `k`, `!k`, `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`; field selectors: `metadata.name=`, `metadata.namespace=`. */
function selectorMatcher(labelSelector?: string, fieldSelector?: string): (o: Obj) => boolean {
  const tests: ((o: Obj) => boolean)[] = [];
  for (const term of splitTerms(labelSelector ?? '')) {
    const labels = (o: Obj): Record<string, string> => o.metadata?.labels ?? {};
    let m: RegExpMatchArray | null;
    if ((m = term.match(/^(\S+)\s+(in|notin)\s+\((.*)\)$/))) {
      const [, k, op, vs] = m;
      const values = vs.split(',').map((v) => v.trim());
      tests.push(op === 'in' ? (o) => values.includes(labels(o)[k]) : (o) => !values.includes(labels(o)[k]));
    } else if ((m = term.match(/^([^!=]+)!=(.*)$/))) {
      const [, k, v] = m;
      tests.push((o) => labels(o)[k] !== v);
    } else if ((m = term.match(/^([^!=]+)==?(.*)$/))) {
      const [, k, v] = m;
      tests.push((o) => labels(o)[k] === v);
    } else if (term.startsWith('!')) {
      tests.push((o) => !(term.slice(1) in labels(o)));
    } else {
      tests.push((o) => term in labels(o));
    }
  }
  for (const term of splitTerms(fieldSelector ?? '')) {
    const [field, value] = term.split('=');
    if (field === 'metadata.name') tests.push((o) => o.metadata?.name === value);
    else if (field === 'metadata.namespace') tests.push((o) => o.metadata?.namespace === value);
  }
  return (o) => tests.every((t) => t(o));
}

function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      if (cur.trim()) terms.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) terms.push(cur.trim());
  return terms;
}

function writeEvent(res: ServerResponse, event: Obj): void {
  res.write(JSON.stringify(event) + '\n');
}

function gone(): Obj {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'too old resource version', reason: 'Expired', code: 410 };
}

function send(res: ServerResponse, code: number, body: Obj): void {
  res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function status(res: ServerResponse, code: number, message: string, reason = 'InternalError'): void {
  send(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}

/**
 * The webhook's cluster sources pointed at a test API server, with short timers so faults recover
 * within a test; `overrides` set what a test is about.
 */
export async function testClusterSources(api: FakeApiServer, overrides: Partial<import('../../src/sources/cluster/index.js').ClusterSourceOptions> = {}) {
  const { startClusterSources } = await import('../../src/sources/cluster/index.js');
  const { memoryLogger } = await import('./logger.js');
  return startClusterSources({
    kubeconfig: await api.writeKubeconfig(),
    controllerNamespace: 'cattle-fleet-system',
    controllerName: 'fleet-controller',
    resyncMs: 60_000,
    watchTimeoutSeconds: 5,
    watchdogMs: 2000,
    backoffInitialMs: 20,
    backoffMaxMs: 100,
    log: memoryLogger('silent').log,
    ...overrides,
  });
}
