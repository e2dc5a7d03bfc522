// `gatehouse status`, read without commander and the other commands' modules, as `run` and `start`
// are (run-command.ts): scripts call it in loops, and loading commander and registering every
// command cost more than the status itself. A command line this cannot read exactly (--help, a
// typo) goes to the full CLI, which explains it; both run statusCommand.
import { describeChannel } from '../control/channel-status.js';
import type { GatewayStatus } from '../control/status.js';
import { EXIT } from '../exit-codes.js';
import { profilePaths } from '../paths.js';
import { readCommandLine } from './fast-args.js';
import { dim, failed, pass, printJson, say } from './output.js';

export interface StatusCommandOptions {
  readonly profile: string;
  readonly deep?: boolean;
  readonly json?: boolean;
}

/** `status [-p|--profile NAME] [--deep] [--json]`, or null for anything else. */
export function parseStatusCommand(args: readonly string[]): StatusCommandOptions | null {
  return readCommandLine(args, { name: 'status', options: { deep: { type: 'boolean' }, json: { type: 'boolean' } } }, (values) => ({
    ...(values.deep === true ? { deep: true } : {}),
    ...(values.json === true ? { json: true } : {}),
  }));
}

export function statusExitCode(status: GatewayStatus): number {
  if (status.running) return EXIT.OK;
  return status.state === 'wedged' || status.state === 'blocked' ? EXIT.FAILURE : EXIT.NOT_RUNNING;
}

function printStatus(status: GatewayStatus): void {
  const headline = status.running ? pass(status.state) : failed(status.state);
  const pids = status.pids === undefined ? `pid ${status.pid}` : `pids ${status.pids.join(', ')}`;
  say(`gatehouse [${status.profile}]: ${headline}${status.pid === null ? '' : ` (${pids})`}`);
  if (status.reason !== null) say(`  reason:   ${status.reason}`);
  if (status.api.url !== null) say(`  api:      ${status.api.url}`);
  if (status.startedAt !== null) say(`  started:  ${status.startedAt}`);
  if (status.worker !== null) say(`  worker:   pid ${status.worker.pid} ${status.worker.responsive ? 'responsive' : 'NOT responding'}; restarts ${status.restarts ?? 0}`);
  say(`  service:  ${status.service.kind === null ? 'none installed' : `${status.service.kind} (${status.service.enabled ? 'enabled' : 'disabled'})`}`);
  for (const channel of status.channels) {
    const [first, ...rest] = describeChannel(channel).split('\n');
    say(`  channel:  ${first}`);
    for (const line of rest) say(`            ${line}`);
  }
  for (const probe of status.probes ?? []) {
    const mark = probe.ok ? pass('PASS') : failed('FAIL');
    const [first, ...rest] = probe.detail.split('\n');
    say(`  [${mark}] ${probe.id.padEnd(12)} ${first}`);
    for (const line of rest) say(`         ${' '.repeat(12)} ${line}`);
    if (!probe.ok && probe.hint !== undefined) say(`         ${' '.repeat(12)} ${dim(`-> ${probe.hint}`)}`);
  }
}

export async function statusCommand(options: StatusCommandOptions): Promise<void> {
  const paths = profilePaths(options.profile);
  // The gateway is asked first, and what turns its answer into the status is loaded while it answers.
  const { askStatus, controlTarget } = await import('../runtime/control-client.js');
  const asked = askStatus(controlTarget(paths));
  const { statusReport } = await import('../control/status-report.js');
  const status = await statusReport(paths, options.deep === true, asked);
  if (options.json === true) printJson(status);
  else printStatus(status);
  process.exitCode = statusExitCode(status);
}
