import { RecordIndex } from '../../src/collisions/record-index.js';
import { recordOf } from '../../src/collisions/workloads.js';
import { MutatingHandler, DEFAULT_PROTECTED_NAMESPACES, type HandlerOptions } from '../../src/admission/handler.js';
import { GlobalModeSource, StaticTolerationSource } from '../../src/sources/static.js';
import { CONTROLLER_TOLERATIONS } from './fixtures.js';
import { memoryLogger } from './logger.js';

/** A handler wired as `serve --standalone` wires it, with in-memory logs. */
export function standaloneHandler(overrides: Partial<HandlerOptions> = {}) {
  const { log, lines } = memoryLogger();
  const handler = new MutatingHandler({
    componentLabelKey: 'app.kubernetes.io/component',
    changeAnnotationKey: 'fleet-webhook.io/mutated',
    globalMode: 'enforce',
    extraTolerations: [],
    tolerationSource: new StaticTolerationSource(CONTROLLER_TOLERATIONS),
    modeSource: new GlobalModeSource(overrides.globalMode ?? 'enforce'),
    protectedNamespaces: new Set(DEFAULT_PROTECTED_NAMESPACES),
    log,
    ...overrides,
  });
  return { handler, lines };
}

/** Collision detection's cache holding these objects (by their own `kind`), as the cluster watch fills it. */
export function workloadIndex(objs: readonly any[]): RecordIndex {
  const index = new RecordIndex();
  for (const o of objs) {
    const record = recordOf(o.kind, o);
    if (record) index.set(record);
  }
  return index;
}
