// The worker's config.json, read without the validation library when everything in it is plainly
// valid: the embedded defaults, or a file that sets only the monitor's sections (config-core.ts:
// the API address, the drain timeout, the standby, the log's rotation) and an echo, command or
// module agent. The worker reads its config before its first answer, and loading zod (its schemas
// and its ~60 locale files) was the largest part of that boot. Anything else (an openai agent,
// chat channels, an alerts section, any value this does not accept at a glance) goes to the full
// validation (config.ts, loaded only then), which accepts it or names the file and the field; so
// every error message is the full validation's. What this accepts, it reads exactly as the full
// validation does (test/unit/config-plain.test.ts compares the two).
import { isAbsolute } from 'node:path';
import { DEFAULT_COMMAND_TIMEOUT_MS, plainMonitorConfig, readPlainJson } from './config-core.js';
import type { AgentConfig, GatewayConfig } from './config.js';

/** The top-level sections of config.json (the full validation refuses any other key). */
const SECTIONS = ['api', 'agent', 'drain', 'supervisor', 'alerts', 'log', 'channels'];

type Json = Readonly<Record<string, unknown>>;

const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const onlyKeys = (value: Json, keys: readonly string[]): boolean => Object.keys(value).every((key) => keys.includes(key));
/** zod's int() takes safe integers only. */
const isInteger = (value: unknown, min: number): value is number => Number.isSafeInteger(value) && (value as number) >= min;
const isNonEmptyString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/** The agent section when plainly valid (absent: the echo agent); null for the full validation. */
function plainAgent(agent: unknown): AgentConfig | null {
  if (agent === undefined) return { kind: 'echo', delayMs: 0 };
  if (!isRecord(agent)) return null;
  switch (agent['kind']) {
    case 'echo': {
      const delayMs = agent['delayMs'] ?? 0;
      return onlyKeys(agent, ['kind', 'delayMs']) && isInteger(delayMs, 0) ? { kind: 'echo', delayMs } : null;
    }
    case 'command': {
      const { command, args = [], timeoutMs = DEFAULT_COMMAND_TIMEOUT_MS } = agent;
      const plain = onlyKeys(agent, ['kind', 'command', 'args', 'timeoutMs']) && isNonEmptyString(command) &&
        Array.isArray(args) && args.every((arg) => typeof arg === 'string') && isInteger(timeoutMs, 1);
      return plain ? { kind: 'command', command, args: [...(args as string[])], timeoutMs } : null;
    }
    case 'module': {
      const { module, options = {} } = agent;
      // A "__proto__" key (JSON.parse makes it an own key) is left to zod, which copies it as an assignment.
      const plain = onlyKeys(agent, ['kind', 'module', 'options']) && isNonEmptyString(module) && isAbsolute(module) &&
        isRecord(options) && !Object.hasOwn(options, '__proto__');
      return plain ? { kind: 'module', module, options: { ...options } } : null;
    }
    default:
      return null; // openai (URLs to normalise) and unknown kinds
  }
}

/** The whole config of a parsed config.json when every section is plainly valid; null for the full validation. */
export function plainConfig(value: unknown): GatewayConfig | null {
  if (!isRecord(value) || !onlyKeys(value, SECTIONS)) return null;
  // Chat channels and alerts bring URLs, ids and cross-checks: always the full validation's.
  if (value['alerts'] !== undefined) return null;
  const channels = value['channels'];
  if (channels !== undefined && !(Array.isArray(channels) && channels.length === 0)) return null;
  const monitor = plainMonitorConfig(value);
  const agent = plainAgent(value['agent']);
  if (monitor === null || agent === null) return null;
  return { api: monitor.api, agent, drain: monitor.drain, supervisor: monitor.supervisor, alerts: monitor.alerts, log: monitor.log, channels: [] };
}

/** config.json read plainly, or null when the full validation must read it (it is invalid, or more than plain). */
export function readPlainConfig(file: string): GatewayConfig | null {
  const read = readPlainJson(file);
  return read.kind === 'missing' ? plainConfig({}) : read.kind === 'ok' ? plainConfig(read.value) : null;
}

/** The worker's config: read plainly when it can be, else by the full validation (which throws GatehouseError CONFIG_INVALID naming the file and the field). */
export async function loadWorkerConfig(file: string): Promise<GatewayConfig> {
  return readPlainConfig(file) ?? (await import('./config.js')).loadConfig(file);
}
