import type { Toleration } from '../mutation/types.js';
import type { Mode, NamespaceModeSource, TolerationSnapshot, TolerationSource } from './types.js';

/** Tolerations fixed at start-up: from --controller-file, or none. */
export class StaticTolerationSource implements TolerationSource {
  private readonly snap: TolerationSnapshot;
  constructor(tolerations: readonly Toleration[], warning?: string) {
    this.snap = warning ? { tolerations, warning } : { tolerations };
  }
  snapshot(): TolerationSnapshot {
    return this.snap;
  }
}

/** Standalone mode: every namespace is treated with the global --mode. */
export class GlobalModeSource implements NamespaceModeSource {
  constructor(private readonly mode: Mode) {}
  modeFor(): Mode {
    return this.mode;
  }
}
