// Agents written in JavaScript/TypeScript (`agent.kind: "module"`): the worker imports the module
// and serves with its default export (an agent, a factory or a class); a module that does not load or
// does not implement Agent stops the start with exit 78 and an error naming the file and the cause.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestHome, eventually, isAlive, workerPid } from './harness.js';

function writeAgent(home: TestHome, name: string, source: string): string {
  const file = join(home.home, name);
  writeFileSync(file, source);
  return file;
}

const SHAPES: Array<[string, string, string]> = [
  ['an agent object', `export default { async reply({ text }) { return { ok: true, text: 'object: ' + text, error: null }; } };`, 'object: hi'],
  ['a factory given the options and the context', `export default async (options, context) => ({
    async reply({ text }) { return { ok: true, text: options.prefix + text + ' @' + context.profile, error: null }; },
  });`, '>> hi @default'],
  ['a class', `export default class { constructor(options) { this.n = options.n; }
    async reply({ text }) { return { ok: true, text: 'class ' + this.n + ': ' + text, error: null }; } }`, 'class 7: hi'],
];

for (const [shape, source, expected] of SHAPES) {
  test(`a module agent whose default export is ${shape} answers through the API`, async (t) => {
    const home = new TestHome();
    t.after(() => home.cleanup());
    const module = writeAgent(home, 'agent.mjs', source);
    home.writeConfig({ agent: { kind: 'module', module, options: { prefix: '>> ', n: 7 } } });
    await home.start();
    const api = home.api();
    const id = await api.send('s1', 'hi');
    const reply = await api.waitForReply('s1', id, 20_000);
    assert.equal(reply?.text, expected);
  });
}

test('a module agent gets the conversation it asks for (maxHistoryTurns) and its activity callback', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  const module = writeAgent(home, 'agent.mjs', `export default { maxHistoryTurns: 5, async reply({ text, history, onActivity }) {
    onActivity();
    return { ok: true, text: text + ' after ' + history.map((m) => m.role + ':' + m.text).join('|'), error: null };
  } };`);
  home.writeConfig({ agent: { kind: 'module', module } });
  await home.start();
  const api = home.api();
  assert.equal((await api.waitForReply('s1', await api.send('s1', 'one'), 20_000))?.text, 'one after ');
  assert.equal((await api.waitForReply('s1', await api.send('s1', 'two'), 20_000))?.text, 'two after user:one|assistant:one after ');
});

test('a module agent that fails a message, or throws, fails that message and keeps serving', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  const module = writeAgent(home, 'agent.mjs', `export default { async reply({ text }) {
    if (text === 'throw') throw new Error('agent blew up');
    if (text === 'no') return { ok: false, text: '', error: 'refused by the agent' };
    return { ok: true, text: 'fine: ' + text, error: null };
  } };`);
  home.writeConfig({ agent: { kind: 'module', module } });
  await home.start();
  const api = home.api();
  const worker = workerPid(home);
  await assert.rejects(api.waitForReply('s1', await api.send('s1', 'throw'), 20_000), /agent blew up/);
  await assert.rejects(api.waitForReply('s1', await api.send('s1', 'no'), 20_000), /refused by the agent/);
  assert.equal((await api.waitForReply('s1', await api.send('s1', 'ok'), 20_000))?.text, 'fine: ok');
  assert.equal(workerPid(home), worker, 'the worker did not crash');
});

const BROKEN: Array<[string, (home: TestHome) => string, RegExp]> = [
  ['does not exist', (home) => join(home.home, 'missing.mjs'), /cannot be loaded/],
  ['does not parse', (home) => writeAgent(home, 'bad.mjs', 'export default {'), /cannot be loaded/],
  ['has no default export', (home) => writeAgent(home, 'named.mjs', 'export const agent = {};'), /has no default export/],
  ['exports an object without reply', (home) => writeAgent(home, 'noreply.mjs', 'export default { answer() {} };'), /is an object with answer but no reply method, not an Agent/],
  ['exports a factory that returns no agent', (home) => writeAgent(home, 'factory.mjs', 'export default () => 42;'), /returned number, not an Agent/],
  ['exports a factory that throws', (home) => writeAgent(home, 'throws.mjs', "export default () => { throw new Error('no API key'); };"), /threw while building the agent: no API key/],
];

for (const [what, make, cause] of BROKEN) {
  test(`start with an agent module that ${what} exits 78, naming the file and the cause`, async (t) => {
    const home = new TestHome();
    t.after(() => home.cleanup());
    const module = make(home);
    home.writeConfig({ agent: { kind: 'module', module } });
    const result = await home.cli(['start']);
    assert.equal(result.code, 78, result.stdout + result.stderr);
    assert.ok(result.stderr.includes(`agent.module ${module}`), result.stderr);
    assert.match(result.stderr, cause);
    assert.equal((await home.cli(['status'])).code, 3);
  });
}

test('a relative agent.module path is a configuration error naming the field', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({ agent: { kind: 'module', module: 'agent.mjs' } });
  const result = await home.cli(['start']);
  assert.equal(result.code, 78, result.stdout + result.stderr);
  assert.match(result.stderr, /agent\.module: must be an absolute path/);
});

test('an agent module broken while the gateway runs: the respawned worker exits 78 and the monitor stops, saying why', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  const module = writeAgent(home, 'agent.mjs', `export default { async reply({ text }) { return { ok: true, text, error: null }; } };`);
  home.writeConfig({ agent: { kind: 'module', module } });
  const monitor = await home.start();
  writeFileSync(module, 'export default null;');
  process.kill(workerPid(home), 'SIGKILL');
  await eventually('the monitor to stop', () => !isAlive(monitor), 20_000);
  const status = await home.cli(['status', '--json']);
  assert.match(status.stdout, /fatal configuration/);
  const log = await home.cli(["logs", "-n", "200"]);
  assert.match(log.stdout + log.stderr, /is null, not an Agent/);
});
