// The bound on agent calls in flight: first come first served, an aborted waiter leaves the queue,
// and releasing twice frees one slot only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { Slots } from '../../src/gateway/slots.js';

test('waiters get the slot in arrival order; an aborted one leaves the queue; a double release frees one slot', async () => {
  const slots = new Slots(1);
  const never = new AbortController().signal;
  const release = await slots.acquire(never);
  const order: string[] = [];
  const gone = new AbortController();
  const a = slots.acquire(never).then((r) => { order.push('a'); return r; });
  const b = slots.acquire(gone.signal).then(() => order.push('b'), () => order.push('b aborted'));
  const c = slots.acquire(never).then((r) => { order.push('c'); return r; });
  gone.abort(new Error('drain'));
  await tick();
  assert.deepEqual(order, ['b aborted']);
  release();
  release(); // a second release must not let c in beside a
  const releaseA = await a;
  await tick();
  assert.deepEqual(order, ['b aborted', 'a']);
  assert.equal(slots.inUse, 1);
  releaseA();
  (await c)();
  await b;
  assert.deepEqual(order, ['b aborted', 'a', 'c']);
  assert.equal(slots.inUse, 0);
  assert.throws(() => new Slots(0), /at least 1/);
});
