// /metrics on a real gateway: it needs the token, parses as Prometheus text, moves when messages
// flow and workers die, and is still answered by the monitor while the crash-loop breaker is open.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, healthz, isAlive, TestHome, workerPid, workerCrashes } from './harness.js';
import { metricValue, scrape } from './metrics-scrape.js';

test('/metrics: token required, counts messages and latency, restarts and crashes, and survives the breaker', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({ agent: { kind: 'echo', delayMs: 20 } });
  await home.start();
  const url = home.apiUrl();

  assert.equal((await scrape(url, null)).status, 401);
  assert.equal((await scrape(url, 'wrong-token-wrong-token')).status, 401);
  const first = await scrape(url, home.token());
  assert.equal(first.status, 200);
  assert.match(first.contentType ?? '', /^text\/plain; version=0\.0\.4/);
  assert.equal(metricValue(first.families, 'gatehouse_worker_up'), 1);
  assert.equal(metricValue(first.families, 'gatehouse_monitor_stats_available'), 1);
  assert.ok((metricValue(first.families, 'gatehouse_process_resident_memory_bytes', { process: 'monitor' }) ?? 0) > 1e6);
  assert.ok((metricValue(first.families, 'gatehouse_process_resident_memory_bytes', { process: 'worker' }) ?? 0) > 1e6);
  assert.equal(metricValue(first.families, 'gatehouse_messages', { status: 'done' }), 0);

  const api = home.api();
  for (let i = 0; i < 3; i += 1) await api.send('metrics-chat', `hello ${i}`);
  await eventually('three replies', () => home.messages().filter((m) => m.role === 'assistant').length === 3);
  const flowing = await scrape(url, home.token());
  assert.equal(metricValue(flowing.families, 'gatehouse_messages', { status: 'done' }), 3);
  assert.equal(metricValue(flowing.families, 'gatehouse_messages_finished_total', { outcome: 'done' }), 3);
  assert.equal(metricValue(flowing.families, 'gatehouse_agent_latency_seconds'), 3, 'three latency observations');
  assert.equal(metricValue(flowing.families, 'gatehouse_worker_crashes_total'), 0);

  // Crashes: counted by the monitor, so the new worker's scrape still says what happened.
  for (let crash = 1; crash <= 5; crash += 1) {
    const worker = await eventually(`worker ${crash}`, () => { try { const w = workerPid(home); return isAlive(w) ? w : null; } catch { return null; } });
    process.kill(worker, 'SIGKILL');
    await eventually(`crash ${crash} recorded`, () => workerCrashes(home) === crash);
    if (crash === 1) {
      const after = await scrape(url, home.token());
      assert.equal(metricValue(after.families, 'gatehouse_worker_crashes_total'), 1);
      assert.equal(metricValue(after.families, 'gatehouse_worker_restarts_total'), 1);
      assert.equal(metricValue(after.families, 'gatehouse_messages', { status: 'done' }), 3, 'stored counts survive the worker');
    }
  }
  await eventually('the breaker to open', () => home.lifecycle().some((e) => e.event === 'breaker_open'));
  // No worker now: the monitor itself answers an authorized scrape, and 503 to everything else.
  const breaker = await scrape(url, home.token());
  assert.equal(breaker.status, 200, breaker.text);
  assert.equal(metricValue(breaker.families, 'gatehouse_crash_loop_open'), 1);
  assert.equal(metricValue(breaker.families, 'gatehouse_crash_loop_opened_total'), 1);
  assert.equal(metricValue(breaker.families, 'gatehouse_worker_up'), 0);
  assert.equal(metricValue(breaker.families, 'gatehouse_worker_crashes_total'), 5);
  assert.ok((metricValue(breaker.families, 'gatehouse_process_resident_memory_bytes', { process: 'monitor' }) ?? 0) > 1e6);
  assert.equal(metricValue(breaker.families, 'gatehouse_process_resident_memory_bytes', { process: 'worker' }), undefined);
  assert.equal((await scrape(url, null)).status, 503);
  assert.equal((await scrape(url, 'wrong-token-wrong-token')).status, 503);
  assert.equal((await healthz(url)).status, 503);
});
