// The status object `gatehouse status [--deep] --json` prints, gathered in one call (for the CLI and
// the library alike): what answers, the service, and with deep every probe, the service's, the
// alerts' and the agent's included.
import type { ProfilePaths } from '../paths.js';
import type { GatewayAnswer } from '../runtime/control-client.js';
import { serviceInfoOf, serviceProbes } from './service-info.js';
import { selectStatusFor } from './service-select.js';
import { observe, summarize, type GatewayStatus } from './status.js';

/** `asked`: the gateway's answer, when the caller asked before loading this (observe's default asks now). */
export async function statusReport(paths: ProfilePaths, deep: boolean, asked?: Promise<GatewayAnswer>): Promise<GatewayStatus> {
  // The service's backend is loaded while the gateway answers; it is asked after the answer, so that
  // a slow systemctl (run synchronously) cannot hold back the control endpoint's reply past its timeout.
  const [observations, selection] = await Promise.all([observe(paths, asked), selectStatusFor(paths)]);
  const service = await serviceInfoOf(paths, selection);
  // The probes are loaded for --deep only: a plain status stays lean (test/e2e/lean-modules.test.ts).
  const probes = deep ? (await import('./probes.js')).deepProbes(observations) : null;
  const summary = summarize(observations, service, probes);
  if (!deep) return summary;
  // The alerts and agent probes read the config (zod); the agent's may ask a model server.
  const [{ alertsProbe, alertsStatus }, { agentProbe }] = await Promise.all([import('./alert-probe.js'), import('./agent-probe.js')]);
  const alerts = alertsStatus(paths);
  return { ...summary, alerts, probes: [...(summary.probes ?? []), ...(await serviceProbes(paths)), alertsProbe(alerts), await agentProbe(paths)] };
}
