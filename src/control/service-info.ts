// What `status --deep` says about autostart (service-status.ts says what a plain status does):
// probes on the installed definition (drift), what the manager says, and (Linux) linger. Never
// throws: a broken service manager must not break `status`.
import { errorMessage } from '../errors.js';
import type { ProfilePaths } from '../paths.js';
import type { Selection, ServiceHost } from '../service/select.js';
import type { RenderedDefinition, ServiceStatus } from '../service/types.js';
import type { Probe } from './probes.js';
import { selectFor } from './service-select.js';

const { readFileSync } = process.getBuiltinModule('node:fs');

async function serviceStatus(paths: ProfilePaths, host?: ServiceHost): Promise<{ status: ServiceStatus; selection: Selection } | { error: string }> {
  const selection = await selectFor(paths, host);
  if (!selection.ok) return { error: selection.reason };
  try {
    return { status: await selection.service.backend.status(paths.profile), selection };
  } catch (error) {
    return { error: `cannot read the ${selection.service.kind} service: ${errorMessage(error)}` };
  }
}

/** Installed files that differ from what `gatehouse install` would write now (a hand edit or a changed setting). */
function driftProbe(paths: ProfilePaths, status: ServiceStatus, render: () => RenderedDefinition[]): Probe {
  let rendered: RenderedDefinition[];
  try {
    rendered = render();
  } catch (error) {
    return { id: 'service-file', ok: false, detail: `cannot render the definition for comparison: ${errorMessage(error)}` };
  }
  const drifted: string[] = [];
  const compared: string[] = [];
  for (const file of status.files) {
    const wanted = rendered.find((d) => d.path === file);
    if (wanted === undefined) continue; // not a file we render (a manifest, a registered task)
    let actual: Buffer;
    try {
      actual = readFileSync(file);
    } catch (error) {
      drifted.push(`${file} (unreadable: ${errorMessage(error)})`);
      continue;
    }
    compared.push(file);
    if (!actual.equals(Buffer.from(wanted.content))) drifted.push(file);
  }
  if (drifted.length > 0) {
    return { id: 'service-file', ok: false, detail: `differs from what install writes now: ${drifted.join(', ')}`, hint: `\`gatehouse install --profile ${paths.profile}\` rewrites it (drift repair)` };
  }
  return { id: 'service-file', ok: true, detail: compared.length > 0 ? `${compared.join(', ')}: as install writes it` : status.files.join(', ') };
}

/** For `status --deep`: definition, manager state and linger, each PASS/FAIL with what to do. */
export async function serviceProbes(paths: ProfilePaths, host?: ServiceHost): Promise<Probe[]> {
  const found = await serviceStatus(paths, host);
  if ('error' in found) return [{ id: 'service', ok: true, detail: found.error }];
  const { status, selection } = found;
  if (!selection.ok) return [];
  const { service } = selection;
  if (!status.installed) {
    return [{ id: 'service', ok: true, detail: `no ${status.kind} autostart installed (${status.detail})`, hint: '`gatehouse install` starts it at login' }];
  }
  const { serviceSpecFor } = await import('./service-install.js');
  const probes: Probe[] = [
    driftProbe(paths, status, () => service.backend.render(serviceSpecFor(paths, service))),
    status.state === 'running'
      ? { id: 'service', ok: true, detail: `${status.kind}: running; ${status.detail}` }
      : { id: 'service', ok: false, detail: `${status.kind}: ${status.state}; ${status.detail}`, hint: 'the manager is not running it: `gatehouse install` starts it (or `gatehouse start` without the manager)' },
    // Not a failure: --no-login is a choice. Said plainly so nobody expects a start at login.
    { id: 'service-login', ok: true, detail: status.enabled ? 'starts at login' : 'not started at login (installed with --no-login; `gatehouse install` enables it)' },
  ];
  const linger = service.backend.lingerStatus?.();
  if (linger !== undefined) {
    probes.push(linger.state === 'off'
      ? { id: 'linger', ok: false, detail: linger.detail, hint: linger.enableCommand ?? 'loginctl enable-linger' }
      : { id: 'linger', ok: true, detail: linger.detail });
  }
  return probes;
}
