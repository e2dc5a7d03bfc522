// `status --deep`'s `agent` probe: the configured agent can work. For the openai kind: the key can be
// read and the model server answers and serves the model (with its latency); otherwise nothing to ask.
import { errorMessage, GatehouseError } from '../errors.js';
import { readApiKey } from '../gateway/agents/api-key.js';
import { probeModelServer } from '../gateway/agents/model-probe.js';
import { loadConfig } from '../gateway/config.js';
import type { ProfilePaths } from '../paths.js';
import type { Probe } from './probes.js';

export async function agentProbe(paths: ProfilePaths, env: NodeJS.ProcessEnv = process.env): Promise<Probe> {
  let agent;
  try {
    agent = loadConfig(paths.config).agent;
  } catch (error) {
    return { id: 'agent', ok: false, detail: errorMessage(error), hint: error instanceof GatehouseError ? error.hint : undefined };
  }
  if (agent.kind !== 'openai') return { id: 'agent', ok: true, detail: `${agent.kind} agent: no model server to ask` };
  let key;
  try {
    key = readApiKey(agent.apiKeyFile, paths.dir, env);
  } catch (error) {
    return { id: 'agent', ok: false, detail: errorMessage(error), hint: error instanceof GatehouseError ? error.hint : undefined };
  }
  const probe = await probeModelServer(agent, key);
  return { id: 'agent', ok: probe.ok, detail: probe.detail, ...(probe.hint === undefined ? {} : { hint: probe.hint }) };
}
