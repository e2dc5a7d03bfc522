// `start` reports success only for a gateway that stayed up: the monitor says running once its
// worker reported ready, and the stability window after that catches what dies in the first steps
// after ready. The worker's first step after ready is the resume message from its monitor; these
// module agents die exactly there (the worker, or the whole monitor), as a resume that throws or an
// agent's first timer would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestHome, eventually, isAlive } from './harness.js';

function agentDyingAtResume(home: TestHome, what: 'worker' | 'monitor'): string {
  const file = join(home.home, `agent-${what}.mjs`);
  // The monitor a little later than at once: `start` then sees it running first, and must not take that as started.
  const die = what === 'worker' ? 'setImmediate(() => process.exit(1))' : "setTimeout(() => process.kill(process.ppid, 'SIGKILL'), 100)";
  writeFileSync(file, `process.on('message', (m) => { if (m && m.type === 'resume') ${die}; });
export default { async reply({ text }) { return { ok: true, text, error: null }; } };
`);
  return file;
}

test('a worker that exits right after ready fails the start, and start says the monitor keeps respawning it', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({ agent: { kind: 'module', module: agentDyingAtResume(home, 'worker') } });
  const started = await home.cli(['start']);
  assert.equal(started.code, 1, started.stdout + started.stderr);
  assert.match(started.stderr, /its worker exited within the confirm window/);
  assert.match(started.stderr, /keeps running and respawns it/);
  const state = home.state();
  assert.ok(state.kind === 'ok' && isAlive(state.value.pid), 'the monitor is left to its supervisor, as said');
});

test('a monitor that dies right after ready fails the start', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({ agent: { kind: 'module', module: agentDyingAtResume(home, 'monitor') } });
  const started = await home.cli(['start']);
  assert.equal(started.code, 1, started.stdout + started.stderr);
  // Where the death falls between the control answer and the /healthz check, start says that.
  assert.match(started.stderr, /answered, then died within the confirm window|exited while starting \(SIGKILL\)|answered on its control endpoint but not on http/);
  await eventually('the worker follows its monitor', () => {
    const state = home.state();
    return state.kind === 'ok' && (state.value.worker === null || !isAlive(state.value.worker.pid));
  });
});
