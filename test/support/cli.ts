import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The compiled CLI, as `fleet-webhook` runs it. */
export const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
export const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? PACKAGE_ROOT, env: { ...cleanEnv(), ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.stdin ?? '');
  });
}

/** The parent's environment without FLEET_WEBHOOK_* variables, so tests set exactly what they mean. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('FLEET_WEBHOOK_')) env[k] = v;
  return env;
}

/** Starts a long-running CLI command and collects its output until `match` appears on stdout or stderr. */
export function startCli(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
  const child: ChildProcess = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? PACKAGE_ROOT, env: { ...cleanEnv(), ...opts.env } });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const waitFor = (match: RegExp, timeoutMs = 10_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`timed out waiting for ${match}; stdout=${stdout} stderr=${stderr}`)), timeoutMs);
      const check = () => {
        const m = stdout.match(match) ?? stderr.match(match);
        if (m) {
          clearTimeout(deadline);
          resolve(m);
        } else setTimeout(check, 20);
      };
      check();
    });
  return { child, exited, waitFor, output: () => ({ stdout, stderr }) };
}
