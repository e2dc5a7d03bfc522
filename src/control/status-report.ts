// The status object `gatehouse status [--deep] --json` prints, gathered in one call (for the CLI and
// the library alike): what answers, the service, and with deep every probe, the service's, the
// alerts' and the agent's included.
import type { ProfilePaths } from '../paths.js';
import { askStatus, controlTarget, type GatewayAnswer } from '../runtime/control-client.js';
import { serviceInfoOf } from './service-status.js';
import { selectStatusFor } from './service-select.js';
import type { GatewayStatus } from './status.js';
import { answeringStatus } from './status-answering.js';

/** `asked`: the gateway's answer, when the caller asked before loading this (default: asked now). */
export async function statusReport(paths: ProfilePaths, deep: boolean, asked: Promise<GatewayAnswer> = askStatus(controlTarget(paths))): Promise<GatewayStatus> {
  // The service's backend is loaded while the gateway answers; it is asked after the answer, so that
  // a slow systemctl (run synchronously) cannot hold back the control endpoint's reply past its timeout.
  const [answer, selection] = await Promise.all([asked, selectStatusFor(paths)]);
  const service = await serviceInfoOf(paths, selection);
  // A gateway that answers is described by its answer alone; what else status reads is loaded only
  // for one that does not, and for --deep (test/e2e/lean-modules.test.ts).
  if (!deep && answer.hello.ok) return answeringStatus(paths, service, answer.hello.data, answer.status);
  const { observe, summarize } = await import('./status.js');
  const observations = await observe(paths, Promise.resolve(answer));
  // The probes are loaded for --deep only.
  const probes = deep ? (await import('./probes.js')).deepProbes(observations) : null;
  const summary = summarize(observations, service, probes);
  if (!deep) return summary;
  // The alerts and agent probes read the config (zod); the agent's may ask a model server.
  const [{ alertsProbe, alertsStatus }, { agentProbe }, { serviceProbes }] = await Promise.all([import('./alert-probe.js'), import('./agent-probe.js'), import('./service-info.js')]);
  const alerts = alertsStatus(paths);
  return { ...summary, alerts, probes: [...(summary.probes ?? []), ...(await serviceProbes(paths)), alertsProbe(alerts), await agentProbe(paths)] };
}
