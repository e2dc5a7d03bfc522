// Which autostart backend serves a profile, with the hooks the Windows tracks need. Its own module
// so that `status`, `start` and `install` all choose it the same way without importing each other.
// Starting a gateway (the hook the Startup track and a disabled task use for "start it now") is the
// caller's to give: `start` passes its own start, `install` one that loads the start code only when
// the hook runs, `status` none. So this module never imports the start code back.
import { EXIT } from '../exit-codes.js';
import type { ProfilePaths } from '../paths.js';
import { profilePaths } from '../paths.js';
import { selectService, selectServiceStatus, type GatewayHooks, type Selection, type ServiceHost, type StatusSelection } from '../service/select.js';
import type { ServiceResult } from '../service/types.js';
import { controlTarget, hello } from '../runtime/control-client.js';

const HELLO_TIMEOUT_MS = 1_000;

/** Start a profile's gateway now, detached and without the service manager (the tracks' "start it now"). */
export type DetachedStart = (paths: ProfilePaths) => Promise<ServiceResult>;

/** For callers that never start a gateway through a track (`status`, `uninstall`, `install --print`). */
const noDetachedStart: DetachedStart = async () => ({ ok: false, exitCode: EXIT.FAILURE, timedOut: false, detail: 'this command does not start gateways' });

/** What the Windows tracks need to observe and start the gateway of another profile of this home. */
export function gatewayHooks(home: string, startDetached: DetachedStart = noDetachedStart): GatewayHooks {
  const pathsOf = (profile: string): ProfilePaths => profilePaths(profile, { ...process.env, GATEHOUSE_HOME: home });
  return {
    profileDir: (profile) => pathsOf(profile).dir,
    gatewayUp: async (profile) => (await hello(controlTarget(pathsOf(profile)), HELLO_TIMEOUT_MS)).ok,
    startDetached: (profile) => startDetached(pathsOf(profile)),
    stopAutostarted: (profile) => stopAutostarted(pathsOf(profile)),
  };
}

/**
 * Stop the gateway a Windows autostart track runs: the one that says it is supervised (started by
 * the launcher, with GATEHOUSE_SUPERVISED=1). Held first, so that neither the launcher's loop nor the
 * task's repeating trigger starts it again while the tracks are being removed (uninstallService
 * lifts the hold afterwards). A gateway started by hand is not the autostart's: it keeps running.
 */
async function stopAutostarted(paths: ProfilePaths): Promise<ServiceResult> {
  const answer = await hello(controlTarget(paths), HELLO_TIMEOUT_MS);
  const result = (ok: boolean, detail: string): ServiceResult => ({ ok, exitCode: ok ? EXIT.OK : EXIT.FAILURE, timedOut: false, detail });
  if (!answer.ok) return result(true, 'no gateway running');
  if (!answer.data.supervised) return result(true, `the gateway running (pid ${answer.data.pid}) was started by hand, not by the autostart: left running (\`gatehouse stop\` stops it)`);
  const [{ stopGateway }, { drainTimeoutOrDefault }] = await Promise.all([import('./stop.js'), import('../gateway/config.js')]);
  const stopped = await stopGateway(paths, { timeoutMs: drainTimeoutOrDefault(paths.config), reason: 'gatehouse uninstall', holdAutostart: true });
  return stopped.ok
    ? result(true, `stopped the gateway the autostart ran (pid ${answer.data.pid}, drained)`)
    : result(false, `the gateway the autostart runs (pid ${answer.data.pid}) did not stop: ${stopped.message}`);
}

export function selectFor(paths: ProfilePaths, host?: ServiceHost, startDetached?: DetachedStart): Promise<Selection> {
  return selectService(gatewayHooks(paths.home, startDetached), host);
}

/** For `status`: the profile's autostart status only (service/select.ts selectServiceStatus). */
export function selectStatusFor(paths: ProfilePaths, host?: ServiceHost): Promise<StatusSelection> {
  return selectServiceStatus(gatewayHooks(paths.home), host);
}
