// The library: what `import ... from 'gatehouse'` gives. The CLI's operations on a profile (start,
// stop, restart, status, install, uninstall, config, messages), an agent interface for agents
// written in JavaScript or TypeScript (`agent.kind: "module"`), and the types of every result. The
// CLI (bin/gatehouse.js) is a thin layer over the same functions.
export { start, stop, status, restart, install, uninstall, writeConfig } from './lib/manage.js';
export type { StartOptions, StopOptions, StatusOptions, RestartOptions, InstallOptions } from './lib/manage.js';
export { connect, send } from './lib/send.js';
export type { SendOptions, SendResult } from './lib/send.js';
export { resolveTarget } from './lib/target.js';
export type { ProfileTarget } from './lib/target.js';

export type { StartResult } from './control/start.js';
export type { StopResult } from './control/stop.js';
export type { RestartResult } from './control/restart.js';
export type { GatewayStatus, ObservedState, ServiceInfo } from './control/status.js';
export type { AlertsStatus } from './control/alert-probe.js';
export type { Probe } from './control/probes.js';
export type { ServiceOutcome } from './control/service-install.js';
export type { ServiceKind } from './service/types.js';
export { ApiClient, ApiError } from './control/api-client.js';
export type { ApiMessage, ApiSession } from './control/api-client.js';

export type { Agent, AgentMessage, AgentReply, AgentRequest } from './gateway/agents/index.js';
export { failed, replied } from './gateway/agents/index.js';
export { defineAgent } from './gateway/agents/module.js';
export type { AgentModuleContext, AgentOptions, AgentFactory, AgentClass, AgentModuleExport } from './gateway/agents/module.js';
export type { GatewayConfig, GatewayConfigInput, AgentConfig } from './gateway/config.js';
export type { ProfilePaths } from './paths.js';

export { GatehouseError, ERROR_CODES } from './errors.js';
export type { ErrorCode } from './errors.js';
export { EXIT } from './exit-codes.js';
export { VERSION } from './version.js';

export { runGateway } from './lib/embedded.js';
export type { RunGatewayOptions, GatewayHandle, GatewayExit } from './lib/embedded.js';
export type { RestartReply } from './runtime/protocol.js';
