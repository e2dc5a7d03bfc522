// One clock for the benchmark's processes: epoch milliseconds with sub-millisecond resolution, so
// times taken in the load generator and in the orchestrator can be compared on one machine.
import { performance } from 'node:perf_hooks';

export function now(): number {
  return performance.timeOrigin + performance.now();
}
