// The dashboard in a real browser: Debian's Chromium, headless, driven by playwright-core (which
// downloads no browser of its own). A real gateway with the stateful fake Bot API; the link from
// the real `gatehouse dashboard --no-open`. The page must show the probes and a session's messages
// (a <script> message as text, never run), Retry a dead letter with a click (the fake receives it
// once), draw its charts, survive a killed worker, and leave a screenshot in test-artifacts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import { eventually, isAlive, workerPid } from '../e2e/harness.js';
import { dashboardLink } from '../e2e/dashboard-client.js';
import { outbox, telegramGateway } from '../e2e/telegram-harness.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));
const SCREENSHOT = `${ARTIFACTS}dashboard.png`;
const NASTY = '<script>globalThis.pwned = 1</script><img src=x onerror="globalThis.pwned = 2"> & done';
const UI_TIMEOUT_MS = 30_000;

const missing = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: THE DASHBOARD BROWSER TEST DID NOT RUN (apt-get install chromium; .ci/run does)`;
if (missing !== false) process.stderr.write(`\n*** SKIPPED: ${missing} ***\n\n`);

async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
  });
}

async function probeMark(page: Page, id: string): Promise<string> {
  return (await page.locator(`#probes tr[data-probe="${id}"] td.mark`).textContent({ timeout: UI_TIMEOUT_MS })) ?? '';
}

test('the dashboard in headless Chromium: probes, messages as text, Retry of a dead letter, charts, a screenshot', { skip: missing, timeout: 180_000 }, async (t) => {
  const { home, fake } = await telegramGateway(t);
  await home.start();
  // A dead letter: the chat had blocked the bot when the reply went out.
  fake.blocked.add(333);
  fake.userSays(333, 'please answer');
  const dead = await eventually('a dead letter', () => outbox(home).find((p) => p.status === 'dead'), 60_000);
  // A session with a message that is markup.
  const api = home.api();
  await api.waitForReply('web-chat', await api.send('web-chat', NASTY), 30_000);

  const link = await dashboardLink(home);
  const browser = await launch();
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 1800 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  await page.goto(link.url);

  // The probes, as status --deep gives them.
  await page.locator('#probes tr[data-probe="control"]').waitFor({ timeout: UI_TIMEOUT_MS });
  // status --deep bounds each answer (1.5 s): on a loaded machine one run may FAIL a probe, and the
  // page shows the next run 5 s later.
  await eventually('the probes of a healthy gateway PASS', async () => {
    for (const id of ['control', 'worker', 'identity', 'store']) if (await probeMark(page, id) !== 'PASS') return false;
    return true;
  }, UI_TIMEOUT_MS);
  assert.match((await page.locator('#probes').textContent()) ?? '', /channel:telegram/);
  assert.equal(page.url().includes('login='), false, 'the code left the address bar');

  // A session's messages: the markup is shown as text, and nothing of it ran.
  await page.locator('[data-session="web-chat"]').click();
  await eventually('two messages shown', async () => (await page.locator('#messages li').count()) === 2, UI_TIMEOUT_MS);
  assert.equal(await page.locator('#messages li pre').first().textContent(), NASTY);
  assert.equal(await page.locator('#messages li pre').nth(1).textContent(), `echo: ${NASTY}`);
  assert.equal(await page.locator('#messages script, #messages img').count(), 0, 'no element made of the text');
  assert.equal(await page.evaluate(() => (globalThis as { pwned?: number }).pwned), undefined, 'no script ran');

  // Retry the dead letter from the page: delivered, once.
  fake.blocked.delete(333);
  const retry = page.locator(`[data-channel="telegram"] button[data-action="retry"][data-seq="${dead.seq}"]`);
  await retry.click({ timeout: UI_TIMEOUT_MS });
  await eventually('the fake received the retried part', () => fake.sentTo(333).length === 1, UI_TIMEOUT_MS);
  await retry.waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });
  assert.equal(outbox(home).find((p) => p.seq === dead.seq)?.status, 'sent');

  // Charts drawn from the gateway's numbers.
  assert.ok((await page.locator('#chart-messages svg rect').count()) >= 1, 'message bars');
  assert.ok((await page.locator('#chart-latency svg circle').count()) >= 1, 'latency points');
  assert.ok((await page.locator('#chart-restarts svg rect').count()) >= 1, 'the gateway start');
  await eventually('a delivery latency chart', async () => (await page.locator('#chart-delivery svg circle').count()) >= 1, UI_TIMEOUT_MS);
  assert.ok((await page.locator('#timeline li').count()) >= 3, 'a timeline');

  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  process.stdout.write(`dashboard screenshot: ${SCREENSHOT}\n`);

  // The worker dies: the page waits for the next one and goes on, still logged in.
  const old = workerPid(home);
  process.kill(old, 'SIGKILL');
  await eventually('a new worker', () => { try { return workerPid(home) !== old; } catch { return false; } }, UI_TIMEOUT_MS);
  await eventually('the page shows the new worker', async () => ((await page.locator('#gateway').textContent()) ?? '').includes(`pid ${workerPid(home)},`), UI_TIMEOUT_MS);
  await eventually('the worker probe PASSes for the new worker', async () => await probeMark(page, 'worker') === 'PASS', UI_TIMEOUT_MS);

  // The same link again, in a fresh browser context: spent. And no cookie, no data.
  const other = await browser.newPage();
  await other.goto(link.url);
  await eventually('the spent link is refused', async () => /not valid/.test((await other.locator('#banner').textContent()) ?? ''), UI_TIMEOUT_MS);
  assert.equal(await other.locator('#probes tr').count(), 0, 'nothing shown without a session');

  // The worker keeps crashing: the breaker holds it back, and the page says so, with the monitor's figures.
  const kills = (): number => home.lifecycle().filter((e) => e.event === 'worker_exit' && e.signal === 'SIGKILL').length;
  while (!home.lifecycle().some((e) => e.event === 'breaker_open')) {
    const before = kills();
    const worker = await eventually('a worker to kill', () => { try { const w = workerPid(home); return isAlive(w) ? w : null; } catch { return null; } });
    process.kill(worker, 'SIGKILL');
    await eventually('the crash recorded', () => kills() === before + 1);
    await sleep(200); // the monitor decides on a respawn or the breaker
  }
  const crashes = kills();
  await eventually('the page says the worker is down', async () => new RegExp(`The worker is down: the worker keeps crashing.*crashes: ${crashes}\\.`).test((await page.locator('#banner').textContent()) ?? ''), UI_TIMEOUT_MS);
  assert.equal(await page.locator('#state').textContent(), 'worker down');
  assert.ok((await page.locator('#probes tr').count()) > 0, 'the last data stays on the page');
  await page.screenshot({ path: `${ARTIFACTS}dashboard-worker-down.png`, fullPage: true });
  await page.reload();
  await eventually('a reload still shows the page and the reason', async () => /worker is down/.test((await page.locator('#banner').textContent()) ?? ''), UI_TIMEOUT_MS);

  await sleep(500);
  assert.deepEqual(errors, [], 'no script error on the page');
  assert.equal(fake.sentTo(333).length, 1, 'still once');
});
