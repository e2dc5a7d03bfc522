// The chaos test's load process: a few sessions, each sending numbered messages one after another,
// every POST with its own Idempotency-Key, retried with that same key on a refused or reset
// connection, a timeout, or a 5xx, as a careful client does. "stop" on stdin ends the load: messages
// under way are still delivered; then one JSON line per accepted message, and a summary, on stdout.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const [url, tokenFile, sessionsArg] = process.argv.slice(2);
if (url === undefined || tokenFile === undefined) throw new Error('usage: chaos-load URL TOKEN_FILE [SESSIONS]');
const SESSIONS = Number(sessionsArg ?? 4);
/** Between two messages of one session: keeps the load near 10 POSTs a second per session. */
const PAUSE_MS = 100;
const RETRY_MS = 150;
const POST_TIMEOUT_MS = 10_000;

export interface Accepted { session: string; key: string; text: string; messageId: string; tries: number; replayed: boolean }

let stopping = false;
process.stdin.setEncoding('utf8').on('data', (chunk: string) => { if (chunk.includes('stop')) stopping = true; });
const token = readFileSync(tokenFile, 'utf8').trim();
const refusals: Record<string, number> = {};

function count(what: string): void {
  refusals[what] = (refusals[what] ?? 0) + 1;
}

/** Deliver one message: retry with its key until the gateway says 202 (or a 4xx settles it). */
async function deliver(session: string, i: number): Promise<Accepted | { error: string }> {
  const key = `${session}-k${i}`;
  const text = `${session}-m${i}`;
  for (let tries = 1; ; tries += 1) {
    try {
      const response = await fetch(`${url}/v1/sessions/${session}/messages`, {
        method: 'POST', body: JSON.stringify({ text }), signal: AbortSignal.timeout(POST_TIMEOUT_MS),
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
      });
      const body = (await response.json()) as { messageId?: string; error?: { code: string } };
      if (response.status === 202 && body.messageId !== undefined) {
        return { session, key, text, messageId: body.messageId, tries, replayed: response.headers.get('idempotent-replayed') === 'true' };
      }
      if (response.status < 500) return { error: `${key}: HTTP ${response.status} ${body.error?.code ?? ''}` };
      count(`HTTP ${response.status} ${body.error?.code ?? ''}`);
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      count(cause?.code ?? (error as Error).name);
    }
    await sleep(RETRY_MS);
  }
}

async function session(n: number, out: Array<Accepted | { error: string }>): Promise<void> {
  for (let i = 0; !stopping; i += 1) {
    out.push(await deliver(`chaos-${n}`, i));
    await sleep(PAUSE_MS);
  }
}

const results: Array<Accepted | { error: string }> = [];
await Promise.all(Array.from({ length: SESSIONS }, (_, n) => session(n, results)));
for (const result of results) process.stdout.write(`${JSON.stringify(result)}\n`);
process.stdout.write(`${JSON.stringify({ summary: true, retried: refusals })}\n`);
