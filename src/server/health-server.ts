import { createServer, type Server } from 'node:http';

export interface ReadinessCheck {
  name: string;
  /** ok false keeps /readyz failing; detail is shown in the body either way (staleness, errors). */
  check(): { ok: boolean; detail?: string };
}

export interface HealthServerOptions {
  checks: () => readonly ReadinessCheck[];
  /** Prometheus text exposition, when metrics are enabled. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
  /** Set once shutdown begins: readiness fails so endpoints drop the pod before the listener closes. */
  shuttingDown: () => boolean;
}

/** Plain HTTP on its own port: kubelet probes and Prometheus never need the webhook's TLS. */
export function createHealthServer(opts: HealthServerOptions): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    if (path === '/healthz' || path === '/livez') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (path === '/readyz') {
      const lines: string[] = [];
      let ready = !opts.shuttingDown();
      if (!ready) lines.push('[-] shutdown: in progress');
      for (const c of opts.checks()) {
        const r = c.check();
        if (!r.ok) ready = false;
        lines.push(`[${r.ok ? '+' : '-'}] ${c.name}${r.detail ? `: ${r.detail}` : ''}`);
      }
      lines.push(ready ? 'readyz check passed' : 'readyz check failed');
      res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(lines.join('\n') + '\n');
      return;
    }
    if (path === '/metrics' && opts.metrics) {
      opts.metrics().then(
        (m) => res.writeHead(200, { 'content-type': m.contentType }).end(m.body),
        () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
}
