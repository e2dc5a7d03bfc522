// The dashboard against a real gateway: the login link from `gatehouse dashboard`, the one-time
// code exchange, what a request without the cookie or the session key gets, and the JSON routes
// the page reads. The API token must appear in no link, page, answer or log line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, isAlive, TestHome, workerPid, workerCrashes } from './harness.js';
import { call, dashboardLink, DashboardSession, exchange } from './dashboard-client.js';

async function gateway(t: { after: (fn: () => Promise<void>) => void }): Promise<TestHome> {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({ agent: { kind: 'echo', delayMs: 0 } });
  await home.start();
  return home;
}

const ROUTES = ['overview', 'sessions', 'sessions/chat-1', 'queues', 'timeline', 'charts'];

test('a login link works once, carries a code and never the token; a wrong code gets nothing', async (t) => {
  const home = await gateway(t);
  const token = home.token();
  const link = await dashboardLink(home);
  assert.match(link.url, /^http:\/\/127\.0\.0\.1:\d+\/dashboard\/#login=[A-Za-z0-9_-]{20,}$/);
  assert.ok(!`${link.stdout}${link.stderr}`.includes(token), 'the token is not printed');

  const wrong = await exchange(link.origin, 'A'.repeat(22));
  assert.equal(wrong.status, 401);
  assert.equal(wrong.body.error.code, 'login_unknown');

  const session = await DashboardSession.login(link);
  assert.match(session.setCookie, /HttpOnly/);
  assert.match(session.setCookie, /SameSite=Strict/);
  assert.match(session.setCookie, /Path=\/dashboard/);
  assert.ok(!session.setCookie.includes(token) && !session.key.includes(token), 'the session is not the token');

  const again = await exchange(link.origin, link.code);
  assert.equal(again.status, 401, 'a code works once');
  assert.equal(again.body.error.code, 'login_unknown');

  // A second link is a second, independent session.
  const second = await DashboardSession.login(await dashboardLink(home));
  assert.equal((await second.get('/dashboard/api/sessions')).status, 200);

  // Nothing the page is made of, and no log line, holds the token or a code.
  for (const path of ['/dashboard/', '/dashboard/app.js', '/dashboard/charts.js', '/dashboard/app.css']) {
    const page = await call(link.origin, path);
    assert.equal(page.status, 200, path);
    assert.ok(!page.text.includes(token), `${path} holds no token`);
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
  }
  const logs = readFileSync(home.paths().gatewayLog, 'utf8') + readFileSync(home.paths().lifecycleLog, 'utf8');
  assert.ok(!logs.includes(token), 'no token in the logs');
  assert.ok(!logs.includes(link.code), 'no login code in the logs');
  assert.match(logs, /dashboard login refused/, 'the refused login is noted');
});

test('without the cookie, without the session key, from another origin or under another name: refused', async (t) => {
  const home = await gateway(t);
  const link = await dashboardLink(home);
  const session = await DashboardSession.login(link);
  for (const route of ROUTES) {
    const path = `/dashboard/api/${route}`;
    assert.equal((await call(link.origin, path)).status, 401, `${path} without anything`);
    assert.equal((await call(link.origin, path, { headers: { cookie: session.cookie } })).status, 401, `${path} with the cookie only`);
    assert.equal((await call(link.origin, path, { headers: { 'x-gatehouse-session': session.key } })).status, 401, `${path} with the key only`);
    assert.equal((await call(link.origin, path, { headers: { authorization: `Bearer ${home.token()}` } })).status, 401, `${path} with the API token`);
  }
  const forged = session.cookie.replace(/\.[^.]+$/, '.AAAA');
  assert.equal((await call(link.origin, '/dashboard/api/overview', { headers: { cookie: forged, 'x-gatehouse-session': session.key } })).status, 401, 'a forged cookie');
  // DNS rebinding: a name that resolves to 127.0.0.1 is not this dashboard.
  const port = new URL(link.origin).port;
  assert.equal((await session.get('/dashboard/api/overview', { host: `evil.example:${port}` })).status, 421);
  assert.equal((await call(link.origin, '/dashboard/', { headers: { host: `evil.example:${port}` } })).status, 421);
  // A login from another origin, or with no Origin at all, is refused before the code is looked at.
  const fresh = await dashboardLink(home);
  assert.equal((await exchange(fresh.origin, fresh.code, { origin: 'http://evil.example' })).status, 403);
  assert.equal((await DashboardSession.login(fresh)).key.length > 0, true, 'the code was not spent by the refused tries');
  // Log out: the cookie is cleared.
  const out = await session.post('/dashboard/api/logout');
  assert.equal(out.status, 200);
  assert.match(String([out.headers['set-cookie']].flat()[0]), /Max-Age=0/);
});

test('the JSON routes: state and every status --deep probe, sessions and messages (text as sent), queues, timeline, charts', async (t) => {
  const home = await gateway(t);
  const api = home.api();
  const nasty = '<script>alert("x")</script> & <b>bold</b>';
  const id = await api.send('chat-1', nasty);
  await api.waitForReply('chat-1', id, 30_000);
  await api.send('chat-2', 'second session');
  const session = await DashboardSession.login(await dashboardLink(home));

  const healthy = ['control', 'worker', 'identity', 'store', 'restarts'];
  // status --deep bounds each answer (1.5 s): on a loaded machine one run may FAIL a probe; the next runs 5 s later.
  const overview = await eventually('an overview of a healthy gateway', async () => {
    const body = (await session.get('/dashboard/api/overview')).body;
    const ok = new Map((body.status?.probes as Array<{ id: string; ok: boolean }> | undefined ?? []).map((p) => [p.id, p.ok]));
    return healthy.every((id) => ok.get(id) === true) ? body : null;
  }, 60_000);
  assert.equal(overview.gateway.accepting, true);
  assert.equal(overview.statusError, null);
  assert.equal(overview.status.state, 'running');
  const probes = (overview.status.probes as Array<{ id: string }>).map((p) => p.id).filter((id) => id !== 'log-tail');
  const cli = JSON.parse((await home.cli(['status', '--deep', '--json'])).stdout) as { probes: Array<{ id: string }> };
  assert.deepEqual(probes.sort(), cli.probes.map((p) => p.id).filter((id) => id !== 'log-tail').sort(), 'the same probes as status --deep');
  assert.ok(!JSON.stringify(overview).includes(home.token()), 'no token in the overview');

  const sessions = (await session.get('/dashboard/api/sessions')).body.sessions as Array<{ id: string; messages: number }>;
  assert.deepEqual(sessions.map((s) => s.id).sort(), ['chat-1', 'chat-2']);
  const messages = (await session.get('/dashboard/api/sessions/chat-1')).body.messages as Array<{ role: string; text: string }>;
  assert.deepEqual(messages.map((m) => [m.role, m.text]), [['user', nasty], ['assistant', `echo: ${nasty}`]]);
  assert.equal((await session.get('/dashboard/api/sessions/nobody')).status, 404);

  assert.deepEqual((await session.get('/dashboard/api/queues')).body, { channels: [] });
  const timeline = (await session.get('/dashboard/api/timeline')).body.events as Array<{ event: string; fields: Record<string, unknown> }>;
  assert.equal(timeline[0]?.event !== undefined, true);
  assert.ok(timeline.some((e) => e.event === 'ready'), 'the ready event is on the timeline');
  assert.ok(timeline.every((e) => !('argv' in e.fields)), 'argv is left out');

  const charts = await eventually('the charts count both messages', async () => {
    const body = (await session.get('/dashboard/api/charts')).body;
    const received = (body.buckets as Array<{ received: number }>).reduce((a, b) => a + b.received, 0);
    return received === 2 ? body : null;
  });
  const buckets = charts.buckets as Array<{ replies: number; latencyAvgMs: number | null; restarts: { monitor: number } }>;
  assert.ok(buckets.length >= 36, 'six hours of ten-minute buckets');
  assert.ok(buckets.some((b) => b.replies >= 1 && b.latencyAvgMs !== null), 'a reply latency');
  assert.equal(buckets.reduce((a, b) => a + b.restarts.monitor, 0), 1, 'one gateway start');
});

test('a worker restart: the session goes on (no new login), and the restart shows on the timeline and the chart', async (t) => {
  const home = await gateway(t);
  const session = await DashboardSession.login(await dashboardLink(home));
  const restarted = await home.cli(['restart']);
  assert.equal(restarted.code, 0, restarted.stderr);
  assert.equal((await session.get('/dashboard/api/sessions')).status, 200, 'the new worker accepts the session');
  const charts = (await session.get('/dashboard/api/charts')).body.buckets as Array<{ restarts: { replaced: number } }>;
  assert.equal(charts.reduce((a, b) => a + b.restarts.replaced, 0), 1);
  const events = (await session.get('/dashboard/api/timeline')).body.events as Array<{ event: string }>;
  assert.ok(events.some((e) => e.event === 'worker_replaced'));
});

test('`gatehouse dashboard` opens the link with the platform opener, or says it cannot and still prints it', { skip: process.platform !== 'linux' && 'a stand-in xdg-open' }, async (t) => {
  const home = await gateway(t);
  const bin = join(home.home, 'bin');
  mkdirSync(bin);
  const record = join(home.home, 'opened');
  writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s' "$1" > '${record}'\n`);
  chmodSync(join(bin, 'xdg-open'), 0o755);
  const opened = await home.cli(['dashboard'], { env: { PATH: `${bin}:${process.env.PATH ?? ''}`, DISPLAY: ':99' } });
  assert.equal(opened.code, 0, opened.stderr);
  assert.match(opened.stdout, /opened with xdg-open/);
  const url = /^(http:\/\/\S+)$/m.exec(opened.stdout)?.[1];
  await eventually('the opener got the link', () => existsSync(record) && readFileSync(record, 'utf8') === url);
  const headless = await home.cli(['dashboard'], { env: { DISPLAY: '', WAYLAND_DISPLAY: '' } });
  assert.equal(headless.code, 0, 'not opening is not a failure');
  assert.match(headless.stdout, /^http:\/\/127\.0\.0\.1:\d+\/dashboard\/#login=/m);
  assert.match(headless.stderr, /not opened: no graphical session.*open the link above/);
});

test('`gatehouse dashboard` of a stopped profile: not running, exit 3', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  const result = await home.cli(['dashboard', '--no-open']);
  assert.equal(result.code, 3);
  assert.match(result.stderr, /not running/);
});

test('while the crash-loop breaker holds the worker back, the monitor serves the page and tells a session the worker is down', async (t) => {
  const home = await gateway(t);
  const link = await dashboardLink(home);
  const session = await DashboardSession.login(link);
  for (let crash = 1; crash <= 5; crash += 1) {
    const worker = await eventually(`worker ${crash}`, () => { try { const w = workerPid(home); return isAlive(w) ? w : null; } catch { return null; } });
    process.kill(worker, 'SIGKILL');
    await eventually(`crash ${crash} recorded`, () => workerCrashes(home) === crash);
  }
  await eventually('the breaker to open', () => home.lifecycle().some((e) => e.event === 'breaker_open'));
  const down = await session.get('/dashboard/api/overview');
  assert.equal(down.status, 503, down.text);
  assert.equal(down.body.error.code, 'crash_loop');
  assert.equal(down.body.monitor.crashes, 5);
  assert.equal(down.body.monitor.breakerOpen, true);
  assert.ok(Number(down.headers['retry-after']) >= 1);
  assert.equal((await call(link.origin, '/dashboard/api/overview')).status, 401, 'no session, no figures');
  assert.equal((await call(link.origin, '/dashboard/api/overview', { headers: { cookie: session.cookie } })).status, 401, 'the cookie alone');
  const page = await call(link.origin, '/dashboard/');
  assert.equal(page.status, 200);
  assert.match(page.text, /<title>Gatehouse dashboard<\/title>/);
  assert.equal((await call(link.origin, '/dashboard/', { headers: { host: `evil.example:${new URL(link.origin).port}` } })).status, 421);
  const login = await exchange(link.origin, 'A'.repeat(22));
  assert.equal(login.status, 503);
  assert.match(login.body.error.message, /logging in needs a worker/);
  const cli = await home.cli(['dashboard', '--no-open']);
  assert.equal(cli.code, 1);
  assert.match(cli.stderr, /no dashboard login: the worker is down \(the worker keeps crashing/);
  assert.doesNotMatch(cli.stdout, /login=/);
  assert.ok(!down.text.includes(home.token()));
});
