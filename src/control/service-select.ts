// Which autostart backend serves a profile, with the hooks the Windows tracks need. Its own module
// so that `status`, `start` and `install` all choose it the same way without importing each other:
// starting a gateway (the Startup track's hook) loads the start code only when a hook runs.
import type { ProfilePaths } from '../paths.js';
import { profilePaths } from '../paths.js';
import { platform } from '../platform/index.js';
import { selectService, type GatewayHooks, type Selection, type ServiceHost } from '../service/select.js';
import type { ServiceResult } from '../service/types.js';
import { hello } from './client.js';

const HELLO_TIMEOUT_MS = 1_000;

/** What the Windows tracks need to observe and start the gateway of another profile of this home. */
export function gatewayHooks(home: string): GatewayHooks {
  const pathsOf = (profile: string): ProfilePaths => profilePaths(profile, { ...process.env, GATEHOUSE_HOME: home });
  return {
    profileDir: (profile) => pathsOf(profile).dir,
    gatewayUp: async (profile) => (await hello(platform.controlEndpoint(pathsOf(profile).dir).address, HELLO_TIMEOUT_MS)).ok,
    async startDetached(profile): Promise<ServiceResult> {
      const { startGateway } = await import('./start.js');
      const started = await startGateway(pathsOf(profile), undefined, { viaManager: false });
      return { ok: started.ok, exitCode: started.exitCode, timedOut: false, detail: [started.message, ...started.details].join('; ') };
    },
  };
}

export function selectFor(paths: ProfilePaths, host?: ServiceHost): Promise<Selection> {
  return selectService(gatewayHooks(paths.home), host);
}
