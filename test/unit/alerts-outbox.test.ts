// Incidents and the alert queue on disk: opened once, resolved once, claimed by one sender, and
// given back when the sender that claimed them died.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { claimNext, openIncident, openIncidents, putBack, queuedCount, reclaimOrphans, resolveIncident, settleSent } from '../../src/runtime/alerts/outbox.js';
import { WorkerWatch } from '../../src/runtime/worker-watch.js';

function profileDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-alerts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const raise = { severity: 'critical' as const, title: 't', message: 'm' };

test('an incident opens once and resolves once, each time with one queued alert', (t) => {
  const dir = profileDir(t);
  assert.equal(openIncident(dir, 'p', 'crash_loop', raise), true);
  assert.equal(openIncident(dir, 'p', 'crash_loop', raise), false);
  assert.deepEqual(openIncidents(dir).map((i) => i.incident), ['crash_loop']);
  assert.equal(resolveIncident(dir, 'p', 'crash_loop', 'ok'), true);
  assert.equal(resolveIncident(dir, 'p', 'crash_loop', 'ok'), false);
  assert.equal(queuedCount(dir), 2);
  assert.equal(openIncident(dir, 'p', 'crash_loop', raise), true, 'a new incident after the old one closed');
  assert.equal(openIncident(dir, 'p', 'message_failed:m1', { ...raise, oneShot: true }), true);
  assert.equal(openIncident(dir, 'p', 'message_failed:m1', { ...raise, oneShot: true }), false, 'an event is sent once');
  assert.equal(resolveIncident(dir, 'p', 'message_failed:m1', 'x'), false, 'events are never resolved');
  assert.deepEqual(openIncidents(dir).map((i) => i.incident), ['crash_loop'], 'events are not open conditions');
});

test('unqueued (alerts not configured): the incident is recorded, nothing is queued', (t) => {
  const dir = profileDir(t);
  assert.equal(openIncident(dir, 'p', 'gateway_down', raise, false), true);
  assert.equal(queuedCount(dir), 0);
  assert.equal(openIncidents(dir).length, 1);
});

test('claims: oldest first, one sender per alert; a dead sender\'s claims go back to the queue', (t) => {
  const dir = profileDir(t);
  openIncident(dir, 'p', 'a', raise);
  openIncident(dir, 'p', 'b', raise);
  const first = claimNext(dir, '111-1');
  assert.equal(first?.event.incident, 'a');
  const second = claimNext(dir, '222-2');
  assert.equal(second?.event.incident, 'b');
  assert.equal(claimNext(dir, '333-3'), null, 'nothing left to claim');
  assert.equal(reclaimOrphans(dir, (owner) => owner === '111-1'), 1, 'only the dead owner\'s claim');
  assert.equal(queuedCount(dir), 1);
  if (first !== null) putBack(dir, first);
  assert.equal(queuedCount(dir), 2);
  const again = claimNext(dir, '111-1');
  if (again !== null) settleSent(again);
  assert.equal(queuedCount(dir), 1);
});

test('claims come out in the order the alerts were queued, also many in one millisecond', (t) => {
  const dir = profileDir(t);
  // Names that sort the other way round, queued faster than the clock ticks.
  const incidents = Array.from({ length: 40 }, (_, i) => `incident-${String(99 - i).padStart(2, '0')}`);
  for (const incident of incidents) openIncident(dir, 'p', incident, raise);
  const claimed: string[] = [];
  for (let next = claimNext(dir, '111-1'); next !== null; next = claimNext(dir, '111-1')) claimed.push(next.event.incident);
  assert.deepEqual(claimed, incidents);
});

test('the worker watch: wedged once after the threshold of silence, answering once it answers', async () => {
  let now = 0;
  let responsive = true;
  const events: string[] = [];
  const watch = new WorkerWatch(3_000, {
    ping: async () => ({ pid: 42, responsive }), now: () => now,
    onWedged: (pid, silentMs) => events.push(`wedged ${pid} ${silentMs}`), onAnswering: (pid) => events.push(`answering ${pid}`),
  });
  await watch.tick();
  responsive = false;
  for (now = 1_000; now <= 6_000; now += 1_000) await watch.tick();
  responsive = true;
  await watch.tick();
  await watch.tick();
  assert.deepEqual(events, ['wedged 42 3000', 'answering 42']);
});

test('the worker watch: a new worker is judged from its own first ping', async () => {
  let now = 0;
  let pid = 1;
  const events: string[] = [];
  const watch = new WorkerWatch(3_000, { ping: async () => ({ pid, responsive: pid === 1 }), now: () => now, onWedged: (p) => events.push(`wedged ${p}`), onAnswering: () => {} });
  await watch.tick();
  now = 10_000;
  pid = 2; // replaced after a long healthy life: silent from now on, not since 0
  await watch.tick();
  now = 12_000;
  await watch.tick();
  assert.deepEqual(events, []);
  now = 13_000;
  await watch.tick();
  assert.deepEqual(events, ['wedged 2']);
});
