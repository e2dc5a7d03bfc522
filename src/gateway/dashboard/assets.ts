const { readFileSync } = process.getBuiltinModule('node:fs');
// The dashboard page: plain HTML, CSS and one small script, shipped in the package under
// assets/dashboard/ (package.json "files"), read once and served as they are. No build step, no
// CDN: the page loads nothing from anywhere but this gateway, and its Content-Security-Policy says
// so to the browser (no inline script, so text that slipped into markup could not run anyway).
// Loaded by the monitor too (it answers while the crash-loop breaker is open): node:fs only.

const ASSET_DIR = new URL('../../../../assets/dashboard/', import.meta.url);

const FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/dashboard/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard/charts.js': { file: 'charts.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

const cache = new Map<string, Buffer>();

export interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

/** The asset served at this path, or null when there is none. */
export function asset(pathname: string): Asset | null {
  const entry = FILES[pathname];
  if (entry === undefined) return null;
  let body = cache.get(entry.file);
  if (body === undefined) {
    body = readFileSync(new URL(entry.file, ASSET_DIR));
    cache.set(entry.file, body);
  }
  return { body, type: entry.type };
}
