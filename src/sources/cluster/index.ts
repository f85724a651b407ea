import type { Logger } from 'pino';
import type { Sources } from '../../serve.js';
import type { TolerationSource } from '../types.js';

export interface ClusterSourceOptions {
  kubeconfig?: string;
  context?: string;
  controllerNamespace: string;
  controllerName: string;
  /** When set (from --controller-file), tolerations come from here and only namespaces are watched. */
  staticTolerations?: TolerationSource;
  resyncMs: number;
  watchTimeoutSeconds: number;
  log: Logger;
}

export async function startClusterSources(_opts: ClusterSourceOptions): Promise<Sources> {
  throw new Error('cluster sources are not implemented yet; use --standalone');
}
