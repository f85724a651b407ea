import { performance } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';
import heapSizeAndUsed from 'prom-client/lib/metrics/heapSizeAndUsed.js';
import heapSpacesSizeAndUsed from 'prom-client/lib/metrics/heapSpacesSizeAndUsed.js';
import osMemoryHeap from 'prom-client/lib/metrics/osMemoryHeap.js';
import processCpuTotal from 'prom-client/lib/metrics/processCpuTotal.js';
import processHandles from 'prom-client/lib/metrics/processHandles.js';
import processMaxFileDescriptors from 'prom-client/lib/metrics/processMaxFileDescriptors.js';
import processOpenFileDescriptors from 'prom-client/lib/metrics/processOpenFileDescriptors.js';
import processRequests from 'prom-client/lib/metrics/processRequests.js';
import processResources from 'prom-client/lib/metrics/processResources.js';
import processStartTime from 'prom-client/lib/metrics/processStartTime.js';
import version from 'prom-client/lib/metrics/version.js';

/**
 * The standard process and Node.js metrics (same names as prom-client's defaults), every one read
 * at scrape time, so that none of them costs anything per admission.
 *
 * Two of prom-client's defaults are left out because they do cost per admission: the event loop
 * delay histogram (`nodejs_eventloop_lag_p50_seconds`, ..., a libuv timer sampling the loop) and the
 * GC duration histogram (`nodejs_gc_duration_seconds`, a PerformanceObserver on every collection).
 * Measured in A/B runs of the benchmark's load at one connection: about 8 µs of CPU per admission
 * (a tenth of it) and twice the p99. Event loop lag is measured at scrape time instead, with event
 * loop utilization since the previous scrape beside it.
 */
export function collectRuntimeMetrics(registry: Registry): void {
  const defaults = [
    processCpuTotal, processStartTime, osMemoryHeap, processOpenFileDescriptors, processMaxFileDescriptors,
    processResources, processHandles, processRequests, heapSizeAndUsed, heapSpacesSizeAndUsed, version,
  ];
  for (const register of defaults) register(registry, {});

  new Gauge({
    name: 'nodejs_eventloop_lag_seconds',
    help: 'Lag of event loop in seconds, measured at scrape time (time for setImmediate to run).',
    registers: [registry],
    async collect() {
      const start = performance.now();
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.set((performance.now() - start) / 1000);
    },
  });

  let previous = performance.eventLoopUtilization();
  new Gauge({
    name: 'nodejs_eventloop_utilization',
    help: 'Fraction of time the event loop was busy since the previous scrape (0 to 1).',
    registers: [registry],
    collect() {
      const now = performance.eventLoopUtilization();
      this.set(performance.eventLoopUtilization(now, previous).utilization);
      previous = now;
    },
  });
}
