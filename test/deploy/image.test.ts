/**
 * There is no Docker engine here, so this proves what the image would contain works: the files the
 * Dockerfile's runtime stage copies, production dependencies installed with the Dockerfile's own
 * command, started with its ENTRYPOINT, answer an admission over TLS.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { spawn } from 'node:child_process';
import { PACKAGE_ROOT } from '../support/cli.js';
import { makePki, post } from '../support/tls.js';
import { admissionReview, gitjobJob } from '../support/fixtures.js';
import { eventually } from '../support/eventually.js';

const exec = promisify(execFile);

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

test('the runtime image contents: production dependencies only, and the server starts from them', async () => {
  const dockerfile = await readFile(join(PACKAGE_ROOT, 'Dockerfile'), 'utf8');
  const installLine = dockerfile.split('\n').find((l) => l.startsWith('RUN npm ci --omit=dev'));
  expect(installLine).toBeDefined();
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  expect(runtime).toMatch(/FROM gcr.io\/distroless\/nodejs24/);
  expect(runtime).toMatch(/USER \d+:\d+/);
  const entrypoint = JSON.parse(runtime.match(/ENTRYPOINT (\[.*\])/)?.[1] ?? '[]') as string[];
  expect(entrypoint.slice(-1)).toEqual(['serve']);

  const app = await mkdtemp(join(tmpdir(), 'image-'));
  await cp(join(PACKAGE_ROOT, 'package.json'), join(app, 'package.json'));
  await cp(join(PACKAGE_ROOT, 'package-lock.json'), join(app, 'package-lock.json'));
  const [, ...args] = (installLine as string).replace(/^RUN /, '').split(/\s+/);
  await exec('npm', [...args, '--prefer-offline'], { cwd: app, timeout: 180_000 });
  // COPY lines of the runtime stage: `COPY --from=build /app/X ./X` and `COPY X ./X`
  for (const m of runtime.matchAll(/^COPY (?:--from=(\w+) \/app\/)?(\S+) (\S+)$/gm)) {
    const [, stage, from, to] = m;
    if (stage === 'deps') continue; // installed above, the same way
    await cp(join(PACKAGE_ROOT, from), join(app, to), { recursive: true });
  }
  expect(await exists(join(app, 'node_modules/fastify'))).toBe(true);
  expect(await exists(join(app, 'node_modules/@kubernetes/client-node'))).toBe(true);
  for (const dev of ['typescript', 'jest', 'fast-check', 'autocannon', 'kubernetes-models']) {
    expect(await exists(join(app, 'node_modules', dev))).toBe(false);
  }

  const pki = await makePki();
  const main = join(app, entrypoint[entrypoint.length - 2].replace(/^\/app\//, ''));
  const nodeFlags = entrypoint.slice(1, -2);
  expect(nodeFlags).toEqual(['--max-semi-space-size=4', '--single-threaded-gc']);
  // `npm start` spells the same flags out again: it must run the server as the image does.
  const { scripts } = JSON.parse(await readFile(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  expect(scripts.start).toContain(`node ${nodeFlags.join(' ')} dist/src/cli/main.js serve`);
  const child = spawn(process.execPath, [...nodeFlags, main, 'serve', '--standalone', '--port', '0', '--health-port', '0', '--host', '127.0.0.1', '--tls-cert', pki.certFile, '--tls-key', pki.keyFile], { cwd: app, env: { PATH: process.env.PATH, NODE_ENV: 'production' } });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  try {
    const listening = await eventually(() => JSON.parse(out.split('\n').find((l) => l.includes('"msg":"listening"')) ?? 'false'), 15_000);
    const res = await post({ ca: pki.ca.cert, port: listening.port, body: JSON.stringify(admissionReview(gitjobJob())) });
    expect(res.json().response.patchType).toBe('JSONPatch');
  } finally {
    child.kill('SIGTERM');
  }
}, 240_000);
