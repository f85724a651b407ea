import { pino, type Logger, type DestinationStream } from 'pino';

/**
 * Paths that could carry secrets if someone ever logs them: TLS material, auth headers, tokens.
 * Redaction is the safety net; the code does not log such values in the first place.
 */
export const REDACT_PATHS = [
  'key',
  'cert',
  'ca',
  'tls.key',
  'tls.cert',
  'privateKey',
  'token',
  'password',
  'headers.authorization',
  'req.headers.authorization',
  'config.users',
  '*.key',
  '*.privateKey',
  '*.token',
  '*.password',
  '*.authorization',
];

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Structured JSON to stdout, written asynchronously so logging never blocks the admission path. */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { app: 'fleet-webhook' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
