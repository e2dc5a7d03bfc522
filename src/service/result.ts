// The one result shape every service backend returns (types.ts ServiceResult), and how a backend
// builds it from an OS tool's run: callers read fields, never message text.
import type { RunResult } from '../platform/spawn.js';
import type { InstallOptions, ServiceResult, ServiceSpec } from './types.js';

export const ok = (detail: string): ServiceResult => ({ ok: true, exitCode: 0, timedOut: false, detail });

export const notOk = (detail: string, exitCode: number | null = null, timedOut = false): ServiceResult => ({ ok: false, exitCode, timedOut, detail });

/** A failed run of a manager's tool (systemctl, launchctl, schtasks), with what it said. */
export function failedRun(what: string, result: RunResult): ServiceResult {
  const why = result.timedOut ? 'timed out' : result.spawnError ?? `exit ${result.exitCode}`;
  const output = `${result.stderr}${result.stdout}`.trim();
  return notOk(`${what}: ${why}${output ? `: ${output}` : ''}`, result.exitCode, result.timedOut);
}

/** A track that registers a definition and can start it (the Windows task and Startup entry). */
export interface RegisterAndStart {
  register(spec: ServiceSpec, login: boolean): Promise<ServiceResult>;
  start(profile: string): Promise<ServiceResult>;
}

/** install = register, then start unless --no-start; one detail line for both. */
export async function registerThenStart(track: RegisterAndStart, spec: ServiceSpec, opts: InstallOptions): Promise<ServiceResult> {
  const registered = await track.register(spec, opts.login);
  if (!registered.ok || !opts.start) return registered;
  const started = await track.start(spec.profile);
  return started.ok ? ok(`${registered.detail}; ${started.detail}`) : started;
}
