// A login link that is not used within its minute is refused, by a real gateway on a real clock
// (its own file: the wait runs beside the other test files).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { LOGIN_CODE_TTL_MS } from '../../src/gateway/dashboard/auth.js';
import { TestHome } from './harness.js';
import { dashboardLink, exchange } from './dashboard-client.js';

test('a login link expires after its minute', { timeout: LOGIN_CODE_TTL_MS + 60_000 }, async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({ agent: { kind: 'echo', delayMs: 0 } });
  await home.start();
  const stale = await dashboardLink(home);
  await sleep(LOGIN_CODE_TTL_MS + 1_000);
  const late = await exchange(stale.origin, stale.code);
  assert.equal(late.status, 401);
  assert.equal(late.body.error.code, 'login_expired');
  assert.match(late.body.error.message, /expired/);
  const fresh = await dashboardLink(home);
  assert.equal((await exchange(fresh.origin, fresh.code)).status, 200, 'a new link works');
});
