import { startServe, type RunningWebhook, type ServeConfig, type ServeDependencies } from '../../src/serve.js';
import { GlobalModeSource, StaticTolerationSource } from '../../src/sources/static.js';
import { CONTROLLER_TOLERATIONS } from './fixtures.js';
import { memoryLogger } from './logger.js';
import { makePki, type TestPki } from './tls.js';

export interface TestServer {
  webhook: RunningWebhook;
  pki: TestPki;
  lines: () => any[];
}

/** The real server on ephemeral ports with a freshly generated CA, in standalone wiring unless sources are given. */
export async function startTestServer(config: Partial<ServeConfig> = {}, deps: Partial<ServeDependencies> = {}, pki?: TestPki): Promise<TestServer> {
  pki ??= await makePki();
  const { log, lines } = memoryLogger('debug');
  const mode = config.mode ?? 'enforce';
  const webhook = await startServe(
    {
      host: '127.0.0.1',
      port: 0,
      healthPort: 0,
      tlsCert: pki.certFile,
      tlsKey: pki.keyFile,
      certReloadIntervalMs: 60_000,
      mode,
      componentLabelKey: 'app.kubernetes.io/component',
      extraTolerations: [],
      deadlineMs: 4000,
      maxInFlight: 512,
      shutdownDelayMs: 0,
      ...config,
    },
    {
      sources: { tolerations: new StaticTolerationSource(CONTROLLER_TOLERATIONS), modes: new GlobalModeSource(mode), checks: [], stop: () => {} },
      log,
      ...deps,
    },
  );
  return { webhook, pki, lines };
}

export async function getHealth(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}
