// config.json: validated with clear errors naming the file and the field. A missing file means the
// embedded defaults; anything else that does not validate is fatal (exit 78: restarting cannot help).
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { ERROR_CODES, GatehouseError } from '../errors.js';
import { readJsonFile } from '../fs-util.js';
import { alertsSchema, DEFAULT_ALERTS, POLL_STALE_MARGIN_MS } from '../runtime/alerts/config.js';
import { DEFAULT_LOG_LIMITS, LOG_LIMIT_BOUNDS } from '../runtime/log-file.js';
import { openaiAgentSchema } from './agents/openai-config.js';
import { DEFAULT_API_PORT, DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_STANDBY, isLoopback } from './config-core.js';
import { channelsSchema } from '../channels/telegram/config.js';

export { DEFAULT_API_PORT, DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_DRAIN_TIMEOUT_MS, apiUrl } from './config-core.js';

const apiSchema = z
  .strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65_535).default(DEFAULT_API_PORT),
    /** Binding a non-loopback address exposes the API to the network: an explicit opt-in. */
    allowRemote: z.boolean().default(false),
  })
  .refine((api) => api.allowRemote || isLoopback(api.host), {
    message: 'must be a loopback address (127.0.0.1, ::1, localhost) unless api.allowRemote is true',
    path: ['host'],
  });

const echoAgentSchema = z.strictObject({
  kind: z.literal('echo'),
  delayMs: z.number().int().min(0).default(0),
});

const commandAgentSchema = z.strictObject({
  kind: z.literal('command'),
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  timeoutMs: z.number().int().positive().default(DEFAULT_COMMAND_TIMEOUT_MS),
});

/** An agent written in JavaScript or TypeScript, loaded by the worker (gateway/module-agent.ts). */
const moduleAgentSchema = z.strictObject({
  kind: z.literal('module'),
  module: z.string().min(1).refine(isAbsolute, { message: 'must be an absolute path to the agent module (a .js or .mjs file)' }),
  /** Handed to the module's factory as they are; JSON, since they live in config.json. */
  options: z.record(z.string(), z.unknown()).default({}),
});

/** The gateway log's rotation (runtime/log-file.ts): rotated before it passes maxBytes, keep old files kept. */
const logSchema = z.strictObject({
  maxBytes: z.number().int().min(LOG_LIMIT_BOUNDS.minMaxBytes).max(LOG_LIMIT_BOUNDS.maxMaxBytes).default(DEFAULT_LOG_LIMITS.maxBytes),
  keep: z.number().int().min(LOG_LIMIT_BOUNDS.minKeep).max(LOG_LIMIT_BOUNDS.maxKeep).default(DEFAULT_LOG_LIMITS.keep),
});

export const configSchema = z.strictObject({
  api: apiSchema.default({ host: '127.0.0.1', port: DEFAULT_API_PORT, allowRemote: false }),
  agent: z.discriminatedUnion('kind', [echoAgentSchema, commandAgentSchema, openaiAgentSchema, moduleAgentSchema]).default({ kind: 'echo', delayMs: 0 }),
  drain: z
    .strictObject({ timeoutMs: z.number().int().min(0).default(DEFAULT_DRAIN_TIMEOUT_MS) })
    .default({ timeoutMs: DEFAULT_DRAIN_TIMEOUT_MS }),
  /** How the monitor keeps workers: a warm standby that takes over when the serving worker dies. */
  supervisor: z
    .strictObject({ standby: z.boolean().default(DEFAULT_STANDBY) })
    .default({ standby: DEFAULT_STANDBY }),
  alerts: alertsSchema.default(DEFAULT_ALERTS),
  log: logSchema.default(DEFAULT_LOG_LIMITS),
  /** Chat channels (src/channels/): each polls its platform and answers through the agent. */
  channels: channelsSchema,
}).superRefine((config, ctx) => {
  // An idle long poll comes back empty after pollTimeoutS; a shorter threshold would alert on a quiet chat.
  config.channels.forEach((channel, index) => {
    const minimum = channel.pollTimeoutS * 1000 + POLL_STALE_MARGIN_MS;
    if (config.alerts.pollStaleAfterMs < minimum) {
      ctx.addIssue({
        code: 'custom', path: ['alerts', 'pollStaleAfterMs'],
        message: `${config.alerts.pollStaleAfterMs} ms is too short for channels[${index}] (pollTimeoutS ${channel.pollTimeoutS}: an idle long poll takes that long); use at least ${minimum}`,
      });
    }
  });
});

export type GatewayConfig = z.infer<typeof configSchema>;
export type AgentConfig = GatewayConfig['agent'];
/** What config.json may say (defaults not yet filled in): the shape a caller writes. */
export type GatewayConfigInput = z.input<typeof configSchema>;

export const DEFAULT_CONFIG: GatewayConfig = configSchema.parse({});

/** Load config.json; throws GatehouseError(CONFIG_INVALID) naming the file and the field. */
export function loadConfig(file: string): GatewayConfig {
  const read = readJsonFile(file, configSchema);
  switch (read.kind) {
    case 'missing': return DEFAULT_CONFIG;
    case 'ok': return read.value;
    case 'invalid':
      throw new GatehouseError(ERROR_CODES.CONFIG_INVALID, `invalid configuration in ${file}: ${read.reason}`, {
        hint: `fix ${file} (or remove it to use the defaults)`,
      });
  }
}

/** The configured drain timeout; a broken config must not keep anyone from stopping a gateway. */
export function drainTimeoutOrDefault(file: string): number {
  try {
    return loadConfig(file).drain.timeoutMs;
  } catch {
    return DEFAULT_DRAIN_TIMEOUT_MS; // the gateway itself reports the broken config when it starts
  }
}
