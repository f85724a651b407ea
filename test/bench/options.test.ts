import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseBenchArgs, parseSoakArgs } from '../../bench/options.js';

const exec = promisify(execFile);
const script = (name: string) => fileURLToPath(new URL(`../../bench/${name}.js`, import.meta.url));

describe('npm run bench options', () => {
  it('reads the defaults, and rounds the rounds up to a multiple of the processes', () => {
    expect(parseBenchArgs([])).toEqual({ smoke: false, seconds: 2, processes: 3, rounds: 6, memorySeconds: 60, idleSeconds: 60 });
    expect(parseBenchArgs(['--processes', '4', '--rounds=6', '--seconds', '0.5'])).toMatchObject({ processes: 4, rounds: 8, seconds: 0.5 });
    expect(parseBenchArgs(['--memory-seconds', '10', '--idle-seconds', '5'])).toMatchObject({ memorySeconds: 10, idleSeconds: 5 });
  });

  it('keeps the smoke run small whatever else is given, except the processes', () => {
    expect(parseBenchArgs(['--smoke'])).toEqual({ smoke: true, seconds: 2, processes: 1, rounds: 1, memorySeconds: 2, idleSeconds: 2 });
    expect(parseBenchArgs(['--smoke', '--processes', '2', '--rounds', '12', '--memory-seconds', '60'])).toMatchObject({ processes: 2, rounds: 2, memorySeconds: 2 });
  });

  it('refuses what it would otherwise run as NaN or ignore', () => {
    expect(() => parseBenchArgs(['--procs', '4'])).toThrow(/unknown flag --procs/);
    expect(() => parseBenchArgs(['--rounds', 'six'])).toThrow(/--rounds must be a positive whole number, not six/);
    expect(() => parseBenchArgs(['--processes', '0'])).toThrow(/--processes must be a positive whole number/);
    expect(() => parseBenchArgs(['--seconds', '-1'])).toThrow(/--seconds must be a positive number, not -1/);
    expect(() => parseBenchArgs(['--seconds'])).toThrow(/--seconds needs a value/);
    expect(() => parseBenchArgs(['60'])).toThrow(/unexpected argument 60/);
    expect(() => parseBenchArgs(['--help'])).toThrow(/^usage: npm run bench -- /);
  });
});

describe('npm run soak options', () => {
  it('reads its two numbers and refuses anything else', () => {
    expect(parseSoakArgs([])).toEqual({ seconds: 300, connections: 16 });
    expect(parseSoakArgs(['--seconds', '30', '--connections=10'])).toEqual({ seconds: 30, connections: 10 });
    expect(() => parseSoakArgs(['--connections', '2.5'])).toThrow(/--connections must be a positive whole number/);
    expect(() => parseSoakArgs(['--duration', '30'])).toThrow(/unknown flag --duration/);
  });
});

describe('a usage error at the command line', () => {
  // Before certificates are made or any server is started: the process ends at once with exit code 2.
  it.each(['run', 'soak', 'ab'])('ends bench/%s.js with its message and exit code 2', async (name) => {
    const error = await exec(process.execPath, [script(name), '--procs', '4'], { timeout: 20_000 }).then(
      () => undefined,
      (err: { code?: number; stderr?: string }) => err,
    );
    expect(error?.code).toBe(2);
    expect(error?.stderr?.trim()).toBe('unknown flag --procs');
  });
});
