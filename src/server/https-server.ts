import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Logger } from 'pino';
import { failOpen, type AdmissionHandler, type Decision } from '../admission/handler.js';
import { BadReviewError, readReview, reviewResponse, type AdmissionRequest, type ReviewVersion } from '../admission/review.js';
import { secureContextOptions, type TlsMaterial } from './tls.js';
import { answersInBatch, Batch } from './batch.js';

/** A request with the time it arrived (performance.now()), set before fastify sees it. */
interface TimedRequest extends IncomingMessage {
  arrivedAt: number;
}

const OVERLOADED = JSON.stringify({ error: 'Service Unavailable', message: 'fleet-webhook is overloaded; retry' });

/** Same limit as controller-runtime's webhook server. */
export const MAX_BODY_BYTES = 7 * 1024 * 1024;

/** Receives every answered review and every refused request (metrics plug in here). */
export interface AdmissionObserver {
  decided(decision: Decision, request: AdmissionRequest, seconds: number): void;
  refused(statusCode: number, reason: string): void;
}

export interface AdmissionServerOptions {
  handler: AdmissionHandler;
  tls: TlsMaterial;
  /** Ask for and verify client certificates against tls.clientCa. */
  requireClientCert: boolean;
  log: Logger;
  /** Answer allowed-unchanged once a request has waited this long (must stay under the webhook's timeoutSeconds). */
  deadlineMs: number;
  /** Requests being handled at once beyond which new ones get a fast 503. */
  maxInFlight: number;
  observer?: AdmissionObserver;
  timeouts?: Partial<ServerTimeouts>;
}

export interface ServerTimeouts {
  /** Whole request, from the connection's start (first request) or the request's start. */
  requestMs: number;
  headersMs: number;
  /** Idle keep-alive connection between requests. */
  keepAliveMs: number;
  /** How often Node checks connections against requestMs and headersMs. */
  checkIntervalMs: number;
}

/** Well above the API server's own webhook timeout (at most 30 s). */
export const DEFAULT_TIMEOUTS: ServerTimeouts = { requestMs: 35_000, headersMs: 35_000, keepAliveMs: 65_000, checkIntervalMs: 5_000 };

export interface AdmissionServer {
  app: FastifyInstance<HttpsServer>;
  /** Swap certificate and key for new TLS connections; existing connections keep theirs. */
  setTls(material: TlsMaterial): void;
  inFlight(): number;
  /** Requests received since start, refused ones included. */
  requestsReceived(): number;
}

export function createAdmissionServer(opts: AdmissionServerOptions): AdmissionServer {
  const { handler, log, observer } = opts;
  const timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
  let inFlight = 0;
  let received = 0;
  const requestDone = () => {
    inFlight -= 1;
  };
  const app = Fastify({
    // The server is created here rather than by fastify so that every request is counted and, when
    // too many are in flight, refused with a fast 503 before fastify routes it or reads its body.
    // (A fastify onRequest hook did the same at a measurable cost per request.)
    serverFactory: (fastifyHandler) => {
      const server = createHttpsServer(
        {
          connectionsCheckingInterval: timeouts.checkIntervalMs,
          ...secureContextOptions(opts.tls),
          requestCert: opts.requireClientCert,
          rejectUnauthorized: opts.requireClientCert,
          // The API server speaks HTTP/1.1 to service-backed webhooks; serving only HTTP/1.1 keeps
          // the HTTP/2 rapid-reset class of attacks out.
          ALPNProtocols: ['http/1.1'],
        },
        (req, res) => {
          (req as TimedRequest).arrivedAt = performance.now();
          received += 1;
          if (inFlight >= opts.maxInFlight) {
            observer?.refused(503, 'overloaded');
            res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'retry-after': '1' });
            res.end(OVERLOADED);
            return;
          }
          inFlight += 1;
          res.on('close', requestDone);
          fastifyHandler(req, res);
        },
      );
      // Slow clients (slowloris) are cut by these bounds, which cover every way a client can stall:
      // headers and whole request (counted from the connection's start for its first request),
      // and idle keep-alive connections. Not server.setTimeout: it re-arms a timer on every read and
      // write, a cost per request that these make unnecessary.
      server.requestTimeout = timeouts.requestMs;
      server.headersTimeout = timeouts.headersMs;
      server.keepAliveTimeout = timeouts.keepAliveMs;
      return server;
    },
    bodyLimit: MAX_BODY_BYTES,
    // No fastify logger: it would build a child logger per request (measured: ~4 µs of a ~50 µs
    // request). Errors are logged by the error handler below, decisions by the handler.
    logger: false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });

  // Only JSON is accepted: other bodies get 415 instead of reaching the handler as text.
  app.removeAllContentTypeParsers();
  // Plain JSON.parse: secure-json-parse's extra scans for __proto__/constructor keys cost ~2 µs per
  // request and protect code that merges parsed objects into others, which this server never does
  // (a "__proto__" key stays an own property of its object and is never copied or assigned).
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    if (body === '') {
      done(Object.assign(new Error('Body cannot be empty when content-type is set to \'application/json\''), { statusCode: 400 }), undefined);
      return;
    }
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(Object.assign(new Error('Body is not valid JSON'), { statusCode: 400 }), undefined);
    }
  });

  // Since arrival, for the deadline and the duration metric (fastify records its own only when it
  // has a logger or onResponse hooks, and this server has neither).
  const elapsedMs = (request: FastifyRequest) => performance.now() - (request.raw as TimedRequest).arrivedAt;

  app.setErrorHandler((error: FastifyError, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) log.error({ err: error }, 'request failed');
    observer?.refused(status, error.code ?? 'error');
    // Messages of 4xx errors come from the body parser and say what was wrong; never send a stack.
    const message = status === 500 ? 'internal error' : error.message;
    void reply.code(status).send({ error: statusText(status), message });
  });

  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: 'Not Found', message: `${request.method} ${request.url} is not served; POST /mutate` });
  });

  // With other requests in flight, answer after this turn's I/O, together with the others read in it
  // (see Batch); alone, or with a large body, answer at once.
  const batch = new Batch<{ request: FastifyRequest; reply: FastifyReply }>(
    ({ request, reply }) => answer(request, reply),
    ({ reply }, err) => void reply.send(err),
  );
  app.post('/mutate', (request, reply) => {
    if (answersInBatch(inFlight, Number(request.headers['content-length']))) batch.add({ request, reply });
    else answer(request, reply);
  });

  function answer(request: FastifyRequest, reply: FastifyReply): void {
    let review;
    try {
      review = readReview(request.body);
    } catch (err) {
      if (!(err instanceof BadReviewError)) throw err;
      observer?.refused(400, 'not an AdmissionReview');
      void reply.code(400).send({ error: 'Bad Request', message: `not an AdmissionReview: ${err.message}` });
      return;
    }
    const pending = handler.prepare?.(review.request);
    if (pending) {
      const { request: admission, version } = review;
      pending
        .then(
          () => decide(request, reply, admission, version),
          (err: Error) => {
            // Debug only: the source logs each failed read once, and throttled lookups can come in
            // floods; the fail-open metric counts every admission.
            log.debug({ uid: admission.uid, namespace: admission.namespace, err: err.message }, 'namespace mode unknown; allowing unchanged');
            const decision = failOpen(admission.uid, 'namespace_unknown', 'fleet-webhook: namespace not in the cache yet and could not be read; allowed unchanged');
            send(request, reply, admission, version, decision);
          },
        )
        .catch((err: Error) => void reply.send(err));
      return;
    }
    decide(request, reply, review.request, review.version);
  }

  function decide(request: FastifyRequest, reply: FastifyReply, admission: AdmissionRequest, version: ReviewVersion): void {
    let decision: Decision;
    const waitedMs = elapsedMs(request);
    if (waitedMs > opts.deadlineMs) {
      decision = failOpen(admission.uid, 'deadline', 'fleet-webhook: deadline exceeded before the object could be mutated; allowed unchanged');
      log.warn({ uid: admission.uid, waitedMs: Math.round(waitedMs) }, 'deadline exceeded; allowing unchanged');
    } else {
      decision = handler.handle(admission);
    }
    send(request, reply, admission, version, decision);
  }

  function send(request: FastifyRequest, reply: FastifyReply, admission: AdmissionRequest, version: ReviewVersion, decision: Decision): void {
    observer?.decided(decision, admission, elapsedMs(request) / 1000);
    void reply.header('content-type', 'application/json; charset=utf-8').send(reviewResponse(version, decision.response));
  }

  return {
    app: app as unknown as FastifyInstance<HttpsServer>,
    setTls(material) {
      app.server.setSecureContext(secureContextOptions(material));
    },
    inFlight: () => inFlight,
    requestsReceived: () => received,
  };
}

function statusText(status: number): string {
  switch (status) {
    case 400: return 'Bad Request';
    case 404: return 'Not Found';
    case 408: return 'Request Timeout';
    case 413: return 'Payload Too Large';
    case 415: return 'Unsupported Media Type';
    case 503: return 'Service Unavailable';
    default: return status >= 500 ? 'Internal Server Error' : 'Client Error';
  }
}
