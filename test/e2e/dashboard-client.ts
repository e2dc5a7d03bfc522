// A client of the dashboard as a browser would be one: it gets the login link from the real
// `gatehouse dashboard --no-open`, exchanges the code with the Origin a browser sends, keeps the
// cookie and the session key, and can leave out or forge any of them (node:http, so every header,
// Host and Origin included, is exactly what the test says).
import { request } from 'node:http';
import type { TestHome } from './harness.js';

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  readonly body: any;
}

export interface RequestOptions {
  readonly method?: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export function call(base: string, path: string, options: RequestOptions = {}): Promise<Answer> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, {
      method: options.method ?? 'GET', timeout: 30_000,
      headers: { ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }), ...options.headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = null;
        try { body = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${path}`)));
    req.on('error', reject);
    req.end(payload);
  });
}

export interface Link {
  readonly url: string;
  /** scheme://host:port */
  readonly origin: string;
  readonly code: string;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run the real command and take the link it prints. */
export async function dashboardLink(home: TestHome, profile = 'default'): Promise<Link> {
  const result = await home.cli(['dashboard', '--no-open', '--profile', profile]);
  if (result.code !== 0) throw new Error(`gatehouse dashboard failed (${result.code}): ${result.stdout}${result.stderr}`);
  const url = /^(http:\/\/\S+)$/m.exec(result.stdout)?.[1];
  if (url === undefined) throw new Error(`no link printed: ${result.stdout}`);
  const parsed = new URL(url);
  const code = /^#login=([A-Za-z0-9_-]+)$/.exec(parsed.hash)?.[1];
  if (code === undefined) throw new Error(`no login code in ${url}`);
  return { url, origin: parsed.origin, code, stdout: result.stdout, stderr: result.stderr };
}

export class DashboardSession {
  private constructor(readonly origin: string, readonly cookie: string, readonly key: string, readonly setCookie: string) {}

  /** Exchange a code (as the page does); throws with the answer when refused. */
  static async login(link: Link): Promise<DashboardSession> {
    const answer = await exchange(link.origin, link.code);
    if (answer.status !== 200) throw Object.assign(new Error(`login refused: ${answer.status} ${answer.text}`), { answer });
    const setCookie = String([answer.headers['set-cookie'] ?? []].flat()[0] ?? '');
    return new DashboardSession(link.origin, setCookie.split(';')[0] ?? '', String(answer.body.sessionKey), setCookie);
  }

  get(path: string, headers: Record<string, string> = {}): Promise<Answer> {
    return call(this.origin, path, { headers: { cookie: this.cookie, 'x-gatehouse-session': this.key, ...headers } });
  }

  post(path: string, headers: Record<string, string> = {}): Promise<Answer> {
    return call(this.origin, path, { method: 'POST', headers: { cookie: this.cookie, 'x-gatehouse-session': this.key, origin: this.origin, ...headers } });
  }
}

export function exchange(origin: string, code: string, headers: Record<string, string> = {}): Promise<Answer> {
  return call(origin, '/dashboard/api/login', { method: 'POST', body: { code }, headers: { origin, ...headers } });
}
