// Exactly once through crashes: the worker (or the whole gateway) is SIGKILLed at a named step of
// the chat path (GATEHOUSE_TEST_FAULT, see src/channels/telegram/fault.ts), comes back (respawned
// by the monitor, or started again), and then every update is answered exactly once, every part
// delivered exactly once, nothing left open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from './harness.js';
import { assertExactlyOnce, comeBack, startWithFault, telegramGateway, updates } from './telegram-harness.js';

for (const target of ['worker', 'gateway'] as const) {
  test(`SIGKILL of the ${target} between fetching updates and committing them: each answered once`, async (t) => {
    const { home, fake } = await telegramGateway(t);
    const { marker, env } = await startWithFault(home, 'after-fetch', target);
    fake.userSays(111, 'one');
    fake.userSays(111, 'two');
    fake.userSays(222, 'three');
    await comeBack(home, marker, target, env);
    await eventually('three replies', () => fake.sent.length >= 3, 60_000);
    await eventually('confirmed', () => fake.unconfirmed === 0);
    await assertExactlyOnce(fake, home, ['111|echo: one', '111|echo: two', '222|echo: three']);
    assert.equal(updates(home).length, 3);
  });

  test(`SIGKILL of the ${target} between storing a reply and sending it: sent once at the next start`, async (t) => {
    const { home, fake } = await telegramGateway(t);
    const { marker, env } = await startWithFault(home, 'after-outbox', target);
    fake.userSays(111, 'hello');
    await comeBack(home, marker, target, env);
    fake.userSays(111, 'after');
    await eventually('two replies', () => fake.sent.length >= 2, 60_000);
    await eventually('confirmed', () => fake.unconfirmed === 0);
    await assertExactlyOnce(fake, home, ['111|echo: hello', '111|echo: after']);
    assert.deepEqual(fake.sentTo(111).map((m) => m.text), ['echo: hello', 'echo: after'], 'in order');
  });

  test(`SIGKILL of the ${target} between two parts of a long reply: resumes at the first unsent part`, async (t) => {
    const { home, fake } = await telegramGateway(t);
    const { marker, env } = await startWithFault(home, 'between-parts', target);
    const long = Array.from({ length: 3 }, (_, i) => `${String.fromCharCode(65 + i)}${'x'.repeat(3000)}`).join('\n\n');
    fake.userSays(111, long);
    await comeBack(home, marker, target, env);
    await eventually('three parts', () => fake.sent.length >= 3, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const texts = fake.sentTo(111).map((m) => m.text);
    assert.equal(texts.length, 3, `parts delivered: ${texts.length}`);
    assert.equal(texts.join('\n\n'), `echo: ${long}`);
    await assertExactlyOnce(fake, home, texts.map((x) => `111|${x}`));
  });
}
