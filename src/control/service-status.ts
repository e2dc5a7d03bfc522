// What `status` says about autostart: the installed backend (kind, installed, enabled), from the
// backend's status alone. Never throws: a broken service manager must not break `status`. The
// --deep probes on the definition (drift), the manager and linger are service-info.ts's, loaded for
// --deep only.
import { errorMessage } from '../errors.js';
import type { ProfilePaths } from '../paths.js';
import type { ServiceHost, StatusSelection } from '../service/select.js';
import type { ServiceState, ServiceStatus } from '../service/types.js';
import { selectStatusFor } from './service-select.js';

export interface ServiceInfoDetail {
  /** The backend this platform uses, installed or not; null where autostart is unavailable. */
  readonly available: string | null;
  readonly state: ServiceState;
  readonly files: readonly string[];
  /** What the manager said (systemctl show properties, launchctl print state...). */
  readonly manager: string;
}

export interface ServiceInfoResult {
  readonly kind: string | null;
  readonly installed: boolean;
  readonly enabled: boolean;
  readonly detail?: ServiceInfoDetail;
}

/** The backend's status of the profile, without what only --deep needs of the backend. */
async function statusOnly(paths: ProfilePaths, selection: StatusSelection): Promise<{ status: ServiceStatus } | { error: string }> {
  if (!selection.ok) return { error: selection.reason };
  try {
    return { status: await selection.status(paths.profile) };
  } catch (error) {
    return { error: `cannot read the ${selection.kind} service: ${errorMessage(error)}` };
  }
}

/** For `status` and `status --json`: `service: {kind, installed, enabled}` (kind null when none is installed). */
export async function serviceInfo(paths: ProfilePaths, host?: ServiceHost): Promise<ServiceInfoResult> {
  return serviceInfoOf(paths, await selectStatusFor(paths, host));
}

/** serviceInfo with the backend already chosen (selectStatusFor), so a caller can load it beforehand. */
export async function serviceInfoOf(paths: ProfilePaths, selection: StatusSelection): Promise<ServiceInfoResult> {
  const found = await statusOnly(paths, selection);
  if ('error' in found) return { kind: null, installed: false, enabled: false, detail: { available: null, state: 'unknown', files: [], manager: found.error } };
  const { status } = found;
  return {
    kind: status.installed ? status.kind : null,
    installed: status.installed,
    enabled: status.enabled,
    detail: { available: status.kind, state: status.state, files: status.files, manager: status.detail },
  };
}
