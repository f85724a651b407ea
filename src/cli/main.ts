#!/usr/bin/env node
import { UsageError } from './options.js';

type Command = (argv: string[], env: NodeJS.ProcessEnv) => Promise<number>;

// Getters: touching process.stdin opens a handle that would keep `serve` alive after shutdown.
const io = {
  get stdin() {
    return process.stdin;
  },
  stdout: process.stdout,
  stderr: process.stderr,
};
// Commands load lazily: `serve --standalone` must not pay for the cluster client or certificate
// generation (tens of MB and hundreds of ms at start-up) when it does not use them.
const COMMANDS: Record<string, { summary: string; run: Command }> = {
  serve: { summary: 'Serve the mutating admission webhook over HTTPS', run: async (a, e) => (await import('./serve.js')).serveCommand(a, e) },
  mutate: { summary: 'Apply the mutation offline to manifests (helm template output, files)', run: async (a, e) => (await import('./mutate.js')).mutateCommand(a, e, io) },
  audit: { summary: 'Report what is wrong in the cluster: missing tolerations, labels, colliding selectors', run: async (a, e) => (await import('./audit.js')).auditCommand(a, e, io) },
  certs: { summary: 'Generate the CA, serving certificate and Secret/caBundle for deploy/', run: async (a, e) => (await import('./certs.js')).certsCommand(a, e, io) },
};

export function topHelp(): string {
  const lines = ['Usage: fleet-webhook <command> [flags]', '', 'Commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(8)} ${c.summary}`);
  lines.push('', 'Run `fleet-webhook <command> --help` for the flags of a command.', 'Every flag can also be set with FLEET_WEBHOOK_<FLAG> (e.g. FLEET_WEBHOOK_MODE=audit); a flag wins.');
  return lines.join('\n') + '\n';
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(topHelp());
    return name ? 0 : 2;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    process.stderr.write(`error: unknown command "${name}"\n\n${topHelp()}`);
    return 2;
  }
  try {
    return await command.run(rest, process.env);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${err.message}\nRun \`fleet-webhook ${name} --help\` for usage.\n`);
      return 2;
    }
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`fatal: ${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  },
);
