// What the monitor needs from config.json (the API address, the drain timeout, the standby, the log's rotation), read without
// the validation library (alert settings are the defaults, or, when config.json has an `alerts`
// section, whatever the full validation makes of it): the monitor runs all day and should not carry zod's ~20 MB. A config
// whose api or drain section this check does not accept as plainly valid goes to the full
// validation (config.ts, loaded only then), which either accepts it or throws the error naming the
// file and the field. The rest of the file (the agent, channels) is the worker's: it validates the
// whole file at its start and exits 78 on a bad one, which ends the monitor with 78 too.
import { readJsonFile, type JsonRead } from '../fs-util.js';
import type { AlertsConfig } from '../runtime/alerts/config.js';
import { DEFAULT_DELIVERY_DEADLINE_MS, DEFAULT_DOWN_AFTER_MS, DEFAULT_POLL_STALE_AFTER_MS, DEFAULT_WEDGED_AFTER_MS } from '../runtime/alerts/defaults.js';
import { DEFAULT_LOG_LIMITS, LOG_LIMIT_BOUNDS, type LogLimits } from '../runtime/log-file.js';
import { boolean, nonEmptyString, object, predicateCheck, shape, type Check } from '../shape.js';

const { isIP } = process.getBuiltinModule('node:net');

export const DEFAULT_API_PORT = 8790;
export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;
/** A command agent's program is ended after this long. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 120_000;
/** A warm standby worker takes over at once when the serving worker dies; it costs one more idle worker's memory. */
export const DEFAULT_STANDBY = true;
const MAX_PORT = 65_535;

/** zod's int() takes safe integers only: a larger one is the full validation's to refuse. */
const nonNegativeInteger = predicateCheck('integer >= 0', (v) => Number.isSafeInteger(v) && (v as number) >= 0);

export interface MonitorConfig {
  readonly api: { readonly host: string; readonly port: number; readonly allowRemote: boolean };
  readonly drain: { readonly timeoutMs: number };
  readonly supervisor: { readonly standby: boolean };
  readonly alerts: AlertsConfig;
  /** The gateway log's rotation: the size of one file and how many rotated files are kept. */
  readonly log: LogLimits;
}

/** The alert settings of a config without an `alerts` section (one with it goes to the full validation). */
const DEFAULT_ALERTS: AlertsConfig = {
  downAfterMs: DEFAULT_DOWN_AFTER_MS, wedgedAfterMs: DEFAULT_WEDGED_AFTER_MS,
  deliveryDeadlineMs: DEFAULT_DELIVERY_DEADLINE_MS, pollStaleAfterMs: DEFAULT_POLL_STALE_AFTER_MS,
};

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

export function apiUrl(host: string, port: number): string {
  return `http://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

/** Only the known keys, each plainly valid; anything else is for the full validation to judge. */
function strictSection(fields: Readonly<Record<string, Check>>): Check {
  const check = object(fields, { optional: Object.keys(fields) });
  return (value, path) => {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const extra = Object.keys(value).filter((key) => !(key in fields));
      if (extra.length > 0) return { ok: false, issues: [{ path: [...path, extra[0]!], message: 'unknown key' }] };
    }
    return check(value, path);
  };
}

/** `alerts` (webhook URLs and limits) is left to the full validation whenever it is there. */
const noSection: Check = (_value, path) => ({ ok: false, issues: [{ path, message: 'validated by the full configuration check' }] });

const monitorShape = shape<{ api?: Partial<MonitorConfig['api']>; drain?: Partial<MonitorConfig['drain']>; supervisor?: Partial<MonitorConfig['supervisor']>; log?: Partial<LogLimits> }>(object({
  api: strictSection({ host: nonEmptyString, port: nonNegativeInteger, allowRemote: boolean }),
  drain: strictSection({ timeoutMs: nonNegativeInteger }),
  supervisor: strictSection({ standby: boolean }),
  alerts: noSection,
  log: strictSection({ maxBytes: nonNegativeInteger, keep: nonNegativeInteger }),
}, { optional: ['api', 'drain', 'supervisor', 'alerts', 'log'] }));

/** Within LOG_LIMIT_BOUNDS; outside them the full validation names the field and the bound. */
function plainLogLimits(log: Partial<LogLimits> | undefined): LogLimits | null {
  const limits = { maxBytes: log?.maxBytes ?? DEFAULT_LOG_LIMITS.maxBytes, keep: log?.keep ?? DEFAULT_LOG_LIMITS.keep };
  const { minMaxBytes, maxMaxBytes, minKeep, maxKeep } = LOG_LIMIT_BOUNDS;
  const within = limits.maxBytes >= minMaxBytes && limits.maxBytes <= maxMaxBytes && limits.keep >= minKeep && limits.keep <= maxKeep;
  return within ? limits : null;
}

/** The monitor's sections of a parsed config.json when they are plainly valid; null when the full validation must decide. */
export function plainMonitorConfig(value: unknown): MonitorConfig | null {
  const parsed = monitorShape.safeParse(value);
  if (!parsed.success) return null;
  const { data } = parsed;
  const api = { host: data.api?.host ?? '127.0.0.1', port: data.api?.port ?? DEFAULT_API_PORT, allowRemote: data.api?.allowRemote ?? false };
  const log = plainLogLimits(data.log);
  if (api.port > MAX_PORT || (!api.allowRemote && !isLoopback(api.host)) || log === null) return null;
  return {
    api, drain: { timeoutMs: data.drain?.timeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS },
    supervisor: { standby: data.supervisor?.standby ?? DEFAULT_STANDBY }, alerts: DEFAULT_ALERTS, log,
  };
}

/** The monitor's part of the config when it is plainly valid; null when the full validation must decide. */
export function readMonitorConfig(file: string): MonitorConfig | null {
  const read = readPlainJson(file);
  return read.kind === 'missing' ? plainMonitorConfig({}) : read.kind === 'ok' ? plainMonitorConfig(read.value) : null;
}

/** config.json parsed, unjudged: missing, its JSON value, or not readable as JSON (the full validation says why). */
export function readPlainJson(file: string): JsonRead<unknown> {
  return readJsonFile(file, { safeParse: (data: unknown) => ({ success: true, data }) });
}

/** The monitor's config; a config it cannot read plainly is judged by the full validation (which throws, naming file and field). */
export async function loadMonitorConfig(file: string): Promise<MonitorConfig> {
  return readMonitorConfig(file) ?? (await import('./config.js')).loadConfig(file);
}
