// dashboard: a one-time login link to the running gateway's local page, opened in the browser
// (or, with --no-open, only printed). The link carries a login code good for one use within a
// minute, never the API token (src/gateway/dashboard/auth.ts says how the page turns it into a
// session).
import type { Command } from 'commander';
import { EXIT } from '../exit-codes.js';
import { fail, say, warn } from './output.js';
import { runningApi } from './running-api.js';
import { pathsFor, withProfile, type ProfileOption } from './options.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
/** A gateway listening on every address is reached on loopback too. */
const ANY_ADDRESS: Readonly<Record<string, string>> = { '0.0.0.0': '127.0.0.1', '[::]': '[::1]' };

/** The link, on a loopback name (the only ones the dashboard answers), or null when the API is not on loopback. */
function dashboardUrl(apiUrl: string, path: string, code: string): string | null {
  const base = new URL(apiUrl);
  const host = LOOPBACK.has(base.hostname) ? base.hostname : ANY_ADDRESS[base.hostname];
  return host === undefined ? null : `${base.protocol}//${host}:${base.port}${path}#login=${code}`;
}

export function registerDashboardCommand(program: Command): void {
  withProfile(program.command('dashboard'))
    .description('open the local dashboard of the running gateway in a browser (one-time login link)')
    .option('--no-open', 'only print the link')
    .action(async (options: ProfileOption & { open: boolean }) => {
      const paths = pathsFor(options);
      const api = await runningApi(paths, 'no dashboard link was made');
      if (api === null) return;
      const { client, ApiError, apiUrl } = api;
      let issued: { code: string; expiresAt: string; path: string };
      try {
        issued = await client.dashboardCode();
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        const why = error.status === 503 ? `the worker is down (${error.message})` : `${error.code}: ${error.message}`;
        fail(`the gateway gave no dashboard login: ${why}`, error.status === 503 ? '`gatehouse status --deep` says why; `gatehouse logs` has the rest' : undefined);
        process.exitCode = EXIT.FAILURE;
        return;
      }
      const url = dashboardUrl(apiUrl, issued.path, issued.code);
      if (url === null) {
        fail(`the dashboard is served on loopback only, and the API listens on ${apiUrl}`, 'set api.host to 127.0.0.1 (or 0.0.0.0) in config.json');
        process.exitCode = EXIT.FAILURE;
        return;
      }
      say(url);
      say(`(a one-time link: it works once, until ${issued.expiresAt})`);
      if (!options.open) return;
      const { openUrl } = await import('../platform/open-url.js');
      const opened = openUrl(url);
      if (opened.opened) say(`opened with ${opened.via}`);
      else warn(`not opened: ${opened.why}; open the link above in a browser on this machine`);
    });
}
