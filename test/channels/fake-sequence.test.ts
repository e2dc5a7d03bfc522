// The fake's update ids, as Telegram hands them out: sequential ones stay until an offset above
// them confirms them; after restartSequence (or idleRestartMs without updates) the ids start over
// lower, an offset from the old sequence confirms none of them and gets the head of the queue again
// (go-telegram-bot-api#156), and one past the last update received confirms it.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { BotApi } from '../../src/channels/telegram/bot-api.js';
import { FakeTelegram, type FakeOptions } from './fake-telegram.js';

const TOKEN = '4242424242:AAUnitTestTokenUnitTestToken_0123456';

async function fake(t: TestContext, options: Partial<FakeOptions> = {}): Promise<{ f: FakeTelegram; ids: (offset: number) => Promise<number[]> }> {
  const f = new FakeTelegram({ token: TOKEN, ...options });
  await f.start();
  const api = new BotApi(f.url, TOKEN);
  t.after(async () => { api.close(); await f.close(); });
  const ids = async (offset: number): Promise<number[]> => {
    const r = await api.call<Array<{ update_id: number }>>('getUpdates', { offset, timeout: 0 });
    assert.equal(r.kind, 'ok');
    return r.kind === 'ok' ? r.result.map((u) => u.update_id) : [];
  };
  return { f, ids };
}

test('sequential ids: redelivered until an offset above them confirms them', async (t) => {
  const { f, ids } = await fake(t);
  const a = f.userSays(111, 'a');
  const b = f.userSays(111, 'b');
  assert.deepEqual(await ids(0), [a, b]);
  assert.deepEqual(await ids(a), [a, b], 'an offset equal to an id does not confirm it');
  assert.deepEqual(await ids(a + 1), [b]);
  assert.deepEqual(await ids(b + 1), []);
  assert.equal(f.unconfirmed, 0);
});

test('a restarted sequence: the old offset confirms nothing and loops on the head; one past the last received confirms', async (t) => {
  const { f, ids } = await fake(t);
  const old = f.userSays(111, 'old');
  assert.deepEqual(await ids(old + 1), []);
  assert.throws(() => { f.userSays(111, 'pending'); f.restartSequence(100); }, /unconfirmed/, 'only an empty queue starts over');
  assert.deepEqual(await ids(old + 2), []);
  f.restartSequence(100);
  const first = f.userSays(111, 'new 1');
  const second = f.userSays(222, 'new 2');
  assert.deepEqual([first, second], [100, 101]);
  for (let i = 0; i < 3; i++) assert.deepEqual(await ids(old + 3), [100, 101], 'the offset from the old sequence is in the future: nothing confirmed');
  assert.equal(f.futureOffsets, 3);
  assert.deepEqual(await ids(first + 1), [101]);
  assert.deepEqual(await ids(second + 1), []);
  assert.equal(f.unconfirmed, 0);
  assert.deepEqual(f.sequenceStarts, [5_000, 100]);
});

test('idleRestartMs: the first update after the gap starts a random sequence', async (t) => {
  let now = 1_000_000;
  const { f, ids } = await fake(t, { idleRestartMs: 7 * 24 * 3_600_000, now: () => now });
  const a = f.userSays(111, 'a');
  now += 6 * 24 * 3_600_000;
  const b = f.userSays(111, 'b');
  assert.equal(b, a + 1, 'six days: still sequential');
  assert.deepEqual(await ids(b + 1), []);
  now += 7 * 24 * 3_600_000;
  const c = f.userSays(111, 'c');
  assert.notEqual(c, b + 1, 'a week without updates: a new start');
  assert.equal(f.sequenceStarts.at(-1), c);
  assert.equal(f.userSays(111, 'd'), c + 1, 'and sequential from there');
});
