import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cpus, totalmem, release, tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { generateCa, generateServing } from '../src/certs/generate.js';
import { LOCALHOST_HOSTS, writeCertificateFiles } from '../src/certs/files.js';
import type { LoadReply, LoadRequest } from './load-generator.js';

export const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const DOCKERFILE = fileURLToPath(new URL('../../Dockerfile', import.meta.url));

/** The Node.js flags the image runs the server with (from the Dockerfile's ENTRYPOINT), so the benchmark measures the same. */
export function serverNodeFlags(dockerfile = DOCKERFILE): string[] {
  const entrypoint = readFileSync(dockerfile, 'utf8').match(/^ENTRYPOINT (\[.*\])$/m)?.[1];
  return entrypoint ? (JSON.parse(entrypoint) as string[]).filter((a) => a.startsWith('--')) : [];
}
export const BASELINE = fileURLToPath(new URL('./baseline.js', import.meta.url));
const RESULTS = fileURLToPath(new URL('../../bench/results/', import.meta.url));
const CLOCK_TICK_MS = 10; // USER_HZ is 100 on Linux

export interface RunningServer {
  name: string;
  child: ChildProcess;
  port: number;
  healthPort?: number;
  stop(): Promise<void>;
}

// Never leave a server, a load generator or a private key behind, however the benchmark ends (error,
// Ctrl-C, kill): one set of handlers for every child process and directory, rather than one per child.
const runningChildren = new Set<ChildProcess>();
const temporaryDirs = new Set<string>();
process.once('exit', () => {
  for (const child of runningChildren) child.kill('SIGKILL');
  for (const dir of temporaryDirs) rmSync(dir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

export interface BenchTls {
  /** A temporary directory holding the files below (and anything else a run writes there). */
  dir: string;
  caCert: string;
  certFile: string;
  keyFile: string;
}

/**
 * Runs `fn` with a new CA and localhost serving certificate in a temporary directory, and removes the
 * directory (it holds a private key) however `fn` ends.
 */
export async function withBenchTls<T>(prefix: string, fn: (tls: BenchTls) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), `${prefix}-`));
  temporaryDirs.add(dir);
  try {
    return await fn(await writeBenchTls(dir, prefix));
  } finally {
    await rm(dir, { recursive: true, force: true });
    temporaryDirs.delete(dir);
  }
}

/** A new CA and a localhost serving certificate, written to `dir`. */
async function writeBenchTls(dir: string, prefix: string): Promise<BenchTls> {
  const ca = await generateCa(`${prefix}-ca`);
  const serving = await generateServing(ca, LOCALHOST_HOSTS);
  const files = await writeCertificateFiles(dir, ca, serving);
  return { dir, caCert: ca.cert, certFile: files.tlsCert, keyFile: files.tlsKey };
}

/** Writes a report, dated now, as bench/results/<prefix>-<date>.json; returns the file's path. */
export async function writeReport(prefix: string, fields: object): Promise<string> {
  const report = { date: new Date().toISOString(), ...fields };
  await mkdir(RESULTS, { recursive: true });
  const file = join(RESULTS, `${prefix}-${report.date.replace(/[:.]/g, '-')}.json`);
  await writeFile(file, JSON.stringify(report, null, 2));
  return file;
}

/** `serve --standalone` on free ports of 127.0.0.1, with the given certificate. */
export function standaloneServeArgs(certFile: string, keyFile: string): string[] {
  return ['serve', '--standalone', '--port', '0', '--health-port', '0', '--host', '127.0.0.1', '--tls-cert', certFile, '--tls-key', keyFile];
}

/** Starts a server process and waits for its `listening` JSON line. */
export function startServer(name: string, script: string, args: string[], flags = script === CLI ? serverNodeFlags() : []): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...flags, script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    runningChildren.add(child);
    child.once('exit', () => runningChildren.delete(child));
    let out = '';
    const onData = (d: Buffer) => {
      out += d;
      const line = out.split('\n').find((l) => l.includes('"msg":"listening"'));
      if (!line) return;
      child.stdout?.off('data', onData);
      child.stdout?.resume();
      const info = JSON.parse(line);
      resolve({
        name,
        child,
        port: info.port,
        healthPort: info.healthPort,
        stop: () =>
          new Promise((r) => {
            child.once('exit', () => r());
            child.kill('SIGTERM');
          }),
      });
    };
    child.stdout?.on('data', onData);
    child.stderr?.resume();
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}: ${out}`)));
  });
}

/** User+system CPU of a process so far, in milliseconds (from /proc, so the server cannot skew it). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
}

export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
  return Math.round((kb / 1024) * 10) / 10;
}

export interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  cpuPerRequestUs: number;
}

/** One load run as measured: every successful latency, the server CPU it cost, how long it took. */
export interface RawLoad {
  latencies: number[];
  cpuMs: number;
  seconds: number;
  errors: number;
}

/**
 * Keep-alive HTTP/1.1 load over TLS with `connections` parallel connections, as the API server calls.
 * autocannon runs in a load-generator process of its own (see load-generator.ts for why), one per load
 * running at the same time, kept for the next load.
 */
export async function loadRaw(server: RunningServer, ca: string, body: string, connections: number, opts: { seconds?: number; amount?: number }): Promise<RawLoad> {
  const generator = await idleGenerator();
  const pid = server.child.pid as number;
  const cpuBefore = cpuMs(pid);
  const request: LoadRequest = { url: `https://localhost:${server.port}/mutate`, ca, body, connections, ...opts };
  const reply = await new Promise<LoadReply>((resolve, reject) => {
    const exited = (code: number | null) => reject(new Error(`load generator exited with ${code}`));
    generator.once('exit', exited);
    generator.once('message', (message) => {
      generator.off('exit', exited);
      resolve(message as LoadReply);
    });
    generator.send(request);
  });
  const cpu = cpuMs(pid) - cpuBefore;
  setIdle(generator, true);
  return { latencies: reply.latencies, cpuMs: cpu, seconds: reply.seconds, errors: reply.errors };
}

const LOAD_GENERATOR = fileURLToPath(new URL('./load-generator.js', import.meta.url));
const idleGenerators: ChildProcess[] = [];

/** A load generator waiting for work, or a new one once it has loaded autocannon. */
function idleGenerator(): Promise<ChildProcess> {
  const idle = idleGenerators.pop();
  if (idle) {
    setIdle(idle, false);
    return Promise.resolve(idle);
  }
  return new Promise((resolve, reject) => {
    // --expose-gc: the generator collects its garbage before each load, outside the measured window.
    const child = fork(LOAD_GENERATOR, [], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    runningChildren.add(child);
    child.once('exit', (code) => {
      runningChildren.delete(child);
      const i = idleGenerators.indexOf(child);
      if (i >= 0) idleGenerators.splice(i, 1);
      reject(new Error(`load generator exited with ${code} before it was ready`));
    });
    child.once('message', () => resolve(child));
  });
}

/** An idle generator does not keep the benchmark's process alive; the exit handler above ends it. */
function setIdle(generator: ChildProcess, idle: boolean): void {
  if (idle) {
    idleGenerators.push(generator);
    generator.channel?.unref();
    generator.unref();
  } else {
    generator.channel?.ref();
    generator.ref();
  }
}

/** Several runs of the same load taken together: CPU and requests summed, latencies pooled. */
export function summarize(runs: readonly RawLoad[]): LoadResult {
  const latencies = runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const pct = (p: number) => round(percentile(latencies, p) ?? 0, 2);
  const ok = latencies.length;
  const seconds = runs.reduce((a, r) => a + r.seconds, 0);
  const cpu = runs.reduce((a, r) => a + r.cpuMs, 0);
  return {
    requests: ok,
    rps: round(ok / seconds, 0),
    p50: pct(50),
    p95: pct(95),
    p99: pct(99),
    errors: runs.reduce((a, r) => a + r.errors, 0),
    cpuPerRequestUs: ok > 0 ? round((cpu * 1000) / ok, 1) : 0,
  };
}

/** a's CPU per request over b's; null when b used less than one clock tick (smoke runs' short loads). */
export function cpuRatio(a: LoadResult, b: LoadResult, digits = 2): number | null {
  return b.cpuPerRequestUs > 0 ? round(a.cpuPerRequestUs / b.cpuPerRequestUs, digits) : null;
}

export async function load(server: RunningServer, ca: string, body: string, connections: number, opts: { seconds?: number; amount?: number }): Promise<LoadResult> {
  return summarize([await loadRaw(server, ca, body, connections, opts)]);
}

/** The p-th percentile (nearest rank, rounded down) of values sorted in ascending order; undefined if none. */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** The median (as `percentile` takes it) of values in any order; undefined if none. */
export function median(values: readonly number[]): number | undefined {
  return percentile([...values].sort((a, b) => a - b), 50);
}

export function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function machine(): Record<string, unknown> {
  const c = cpus();
  return { cpu: c[0]?.model ?? 'unknown', cores: c.length, memoryGiB: round(totalmem() / 2 ** 30, 1), node: process.version, kernel: release() };
}
