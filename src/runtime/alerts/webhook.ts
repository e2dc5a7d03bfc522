// One JSON body that ntfy (JSON publishing), Slack-compatible (`text`) and Discord-compatible
// (`content`) webhooks all accept, and the POST that carries it. The URL may hold a secret (Slack
// and Discord put one in the path): only its origin is ever logged or shown.
import { isAbsolute, join } from 'node:path';
import { errorMessage } from '../../errors.js';
import type { AlertsConfig } from './config.js';
import type { AlertEvent } from './outbox.js';

const { readFileSync } = process.getBuiltinModule('node:fs');

/** A receiver that takes longer than this to answer has not taken the alert. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

/** ntfy priorities: 5 max, 3 default, 2 low. */
const NTFY_PRIORITY = { critical: 5, warning: 4, info: 3 } as const;
const MARK = { firing: '🔴', resolved: '✅', test: '🔔' } as const;

export function alertText(event: AlertEvent): string {
  return `${MARK[event.state]} gatehouse ${event.profile}@${event.host}: ${event.title}. ${event.message}`;
}

export function webhookBody(event: AlertEvent, config: Pick<AlertsConfig, 'topic'>): Record<string, unknown> {
  const text = alertText(event);
  return {
    text, // Slack-compatible
    content: text.slice(0, 2_000), // Discord-compatible (2000-character limit)
    ...(config.topic === undefined ? {} : { topic: config.topic }), // ntfy JSON publishing
    title: `gatehouse ${event.profile}: ${event.title}`,
    message: event.message,
    priority: NTFY_PRIORITY[event.severity],
    tags: [event.state === 'firing' ? 'rotating_light' : event.state === 'resolved' ? 'white_check_mark' : 'bell'],
    gatehouse: event,
  };
}

/** The webhook URL from config.json or from its file; null when alerts are not configured. */
export function resolveWebhook(profileDir: string, config: AlertsConfig): { url: string } | { error: string } | null {
  if (config.webhook !== undefined) return { url: config.webhook };
  if (config.webhookFile === undefined) return null;
  const file = isAbsolute(config.webhookFile) ? config.webhookFile : join(profileDir, config.webhookFile);
  try {
    const url = readFileSync(file, 'utf8').trim();
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return { error: `${file}: not an http(s) URL` };
    return { url };
  } catch (error) {
    // Never the content: it is a secret, and a parse error would quote it.
    return { error: `cannot read the webhook URL from ${file}: ${error instanceof TypeError ? 'not a URL' : errorMessage(error)}` };
  }
}

/** Where alerts go, as it may be shown: the origin only. */
export function webhookOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}

export type PostOutcome = { readonly ok: true; readonly status: number } | { readonly ok: false; readonly status: number | null; readonly error: string };

/**
 * POST the body; ok for a 2xx answer. Errors name the origin, never the whole URL. node:http is
 * loaded on the first POST and node:https (TLS) on the first https one: this module is in the
 * monitor's graph, and the HTTP client is memory the monitor holds all day (TLS also tens of
 * milliseconds of its boot) for alerts that may never be sent.
 */
export async function postJson(url: string, body: unknown, timeoutMs = WEBHOOK_TIMEOUT_MS): Promise<PostOutcome> {
  const payload = Buffer.from(JSON.stringify(body));
  const target = new URL(url);
  const send = target.protocol === 'https:' ? (await import('node:https')).request : process.getBuiltinModule('node:http').request;
  return new Promise((resolve) => {
    const req = send(target, {
      method: 'POST', timeout: timeoutMs, agent: false,
      headers: { 'content-type': 'application/json', 'content-length': payload.length, 'user-agent': 'gatehouse-alerts' },
    }, (res) => {
      res.resume();
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        resolve(status >= 200 && status < 300 ? { ok: true, status } : { ok: false, status, error: `${target.origin} answered ${status}` });
      });
      res.on('error', (error) => resolve({ ok: false, status: res.statusCode ?? null, error: `${target.origin}: ${error.message}` }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error) => resolve({ ok: false, status: null, error: `${target.origin}: ${error.message}` }));
    req.end(payload);
  });
}
