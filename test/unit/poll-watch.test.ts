// The channel poll watch with a driven clock: one incident per silence, none for a paused poller or a
// channel another incident speaks for, resolved by the next completed poll (also one left open by an
// earlier worker).
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { PollWatch } from '../../src/channels/poll-watch.js';

function harness(t: TestContext, staleAfterMs = 10_000): { watch: PollWatch; calls: string[]; clock: { now: number }; judged: { value: boolean } } {
  const calls: string[] = [];
  const clock = { now: 1_000_000 };
  const judged = { value: true };
  const watch = new PollWatch({
    channel: 'tg', staleAfterMs, now: () => clock.now, judged: () => judged.value,
    alerts: { fire: (incident, raise) => calls.push(`fire ${incident} ${raise.message}`), resolve: (incident) => calls.push(`resolve ${incident}`) },
  });
  watch.start();
  t.after(() => watch.stop());
  return { watch, calls, clock, judged };
}

test('silence past the threshold fires once; the next completed poll resolves it', (t) => {
  const { watch, calls, clock } = harness(t);
  watch.polled(); // the first poll of this worker: clears what an earlier one may have left open
  assert.deepEqual(calls, ['resolve channel_poll_stale:tg']);
  clock.now += 9_999;
  watch.check();
  assert.equal(calls.length, 1, 'not yet');
  watch.failed('Bad Gateway (502)');
  clock.now += 1;
  watch.check();
  clock.now += 60_000;
  watch.check();
  assert.equal(calls.length, 2);
  assert.match(calls[1] ?? '', /^fire channel_poll_stale:tg no poll completed for 10 s .*last error: Bad Gateway \(502\)/);
  watch.polled();
  watch.polled();
  assert.deepEqual(calls.slice(2), ['resolve channel_poll_stale:tg'], 'resolved once');
});

test('a hung poll (no error yet) is named as such', (t) => {
  const { watch, calls, clock } = harness(t);
  clock.now += 10_000;
  watch.check();
  assert.match(calls[0] ?? '', /a poll is still waiting for an answer/);
});

test('a paused poller and a channel judged elsewhere are not silent; the clock starts afresh after', (t) => {
  const { watch, calls, clock, judged } = harness(t);
  watch.pause(true);
  clock.now += 60_000;
  watch.check();
  watch.pause(false);
  clock.now += 9_000;
  watch.check();
  judged.value = false;
  clock.now += 60_000;
  watch.check();
  assert.deepEqual(calls, []);
  judged.value = true;
  watch.check();
  assert.equal(calls.length, 1, 'judged again, and still silent');
});
