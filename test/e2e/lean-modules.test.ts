// What the fast paths load: `status`, `status --json` and `send` must not load the validation
// library, the logger, SQLite or TLS (they are the worker's, or nobody's until an https call), nor the
// start or service-install code, nor commander and the other commands (they are read without it:
// src/cli/status-command.ts, send-command.ts); the monitor none of those either, and a worker only
// what it uses.
// Every module each process resolves is recorded by a preload (test/fixtures/record-modules.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TestHome } from './harness.js';

const RECORDER = fileURLToPath(new URL('../fixtures/record-modules.js', import.meta.url));
const skip = typeof module.registerHooks === 'function' ? false : 'module.registerHooks needs Node >= 22.15';

/** Heavy modules by what they are: a URL matching one of these is a failure on a light path. */
export const HEAVY: Readonly<Record<string, RegExp>> = {
  zod: /\/node_modules\/zod\//,
  pino: /\/node_modules\/(pino|thread-stream|sonic-boom)\//,
  'node:sqlite': /^node:sqlite$/,
  'TLS (node:https)': /^node:(https|tls)$/,
  'the start code': /\/dist\/src\/control\/start\.js$/,
  'the install code': /\/dist\/src\/control\/service-install\.js$/,
  'the gateway application': /\/dist\/src\/gateway\/(http-api|store|dispatcher|agents|config)\.js$/,
  // What an ES import of a built-in loads behind its lazy getters (src/platform/user-dirs.ts says why):
  "undici (node:http's WebSocket getter)": /^internal:internal\/deps\/undici\//,
  "Web Crypto (node:crypto's webcrypto getter)": /^internal:internal\/crypto\/webcrypto$/,
};

/** What the namespaces of node:process and node:util load (commander's ES imports of them do). */
const NAMESPACE_GETTERS: readonly RegExp[] = [/^internal:internal\/process\/report$/, /^internal:internal\/util\/diff$/];

/**
 * The process layer (the platform implementations, the spawner, kernel32): what status needs only
 * when the gateway does not answer (the OS's word on the PID file), and send never.
 */
const PROCESS_LAYER = /\/dist\/src\/platform\/(select|posix|win32[a-z0-9-]*|spawn|linux-proc|signal)\.js$/;

/** The full CLI: commander, its program and every command's registration. */
const FULL_CLI = /\/node_modules\/commander\/|\/dist\/src\/cli\/(program|commands-[a-z]+)\.js$/;

export function heavyIn(urls: readonly string[], which: readonly string[] = Object.keys(HEAVY)): string[] {
  return which.flatMap((name) => urls.filter((url) => HEAVY[name]!.test(url)).map((url) => `${name}: ${url}`));
}

export function recordedBy(dir: string): Map<number, string[]> {
  return new Map(readdirSync(dir).map((f) => [Number(f.replace(/\.txt$/, '')), readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l !== '')]));
}

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The modules bundled into dist/src/cli/fast-commands.js (scripts/bundle-cli.js lists them), as file URLs. */
function bundledModules(): string[] {
  const listed = JSON.parse(readFileSync(join(ROOT, 'dist/src/cli/fast-commands.inputs.json'), 'utf8')) as string[];
  return listed.map((file) => pathToFileURL(join(ROOT, file)).href);
}

/** What the CLI loads as modules of its own before the bundle: the entry and the compile cache. */
const BEFORE_THE_BUNDLE = /\/dist\/src\/(cli\/main|compile-cache|platform\/user-dirs)\.js$/;

test('status, status --json and send load no zod, pino, SQLite, start or install code, nor commander', { skip }, async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  await home.start();
  for (const args of [['status'], ['status', '--json'], ['send', 'chat-1', 'hello']]) {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-modules-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const result = await home.cli(args, { env: { NODE_OPTIONS: `--import=${RECORDER}`, GATEHOUSE_RECORD_MODULES: dir } });
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    const lists = [...recordedBy(dir).values()];
    assert.equal(lists.length, 1, `${args.join(' ')}: one process recorded`);
    const loaded = lists[0]!;
    // One module of the fast path's own: the bundle (or, built by tsc alone, its parts).
    const ours = loaded.filter((u) => u.includes('/dist/src/') && !BEFORE_THE_BUNDLE.test(u));
    assert.deepEqual(ours.map((u) => u.slice(u.indexOf('/dist/src/'))), ['/dist/src/cli/fast-commands.js'], `${args.join(' ')}: the fast path is one bundled module (built by \`npm run build\`; tsc alone leaves it unbundled)`);
    // What the bundle holds counts as loaded for every check below.
    const urls = [...loaded, ...bundledModules()];
    assert.ok(urls.some((u) => u.endsWith('/dist/src/runtime/control-client.js')), `${args.join(' ')}: the recorder saw the CLI's modules`);
    assert.ok(urls.includes('internal:net'), `${args.join(' ')}: the recorder saw Node's internal modules`);
    assert.deepEqual(heavyIn(urls), [], `${args.join(' ')} loaded heavy modules`);
    assert.ok(urls.some((u) => u.endsWith(`/dist/src/cli/${args[0]}-command.js`)), `${args.join(' ')}: the recorder saw its entry`);
    assert.deepEqual(urls.filter((u) => FULL_CLI.test(u)), [], `${args.join(' ')} loaded the full CLI`);
    assert.deepEqual(urls.filter((u) => NAMESPACE_GETTERS.some((r) => r.test(u))), [], `${args.join(' ')} built the namespace of node:process or node:util`);
    assert.deepEqual(urls.filter((u) => PROCESS_LAYER.test(u)), [], `${args.join(' ')} loaded the process layer for a gateway that answers`);
    assert.ok(urls.some((u) => u.endsWith('/dist/src/platform/control-endpoint.js')), `${args.join(' ')}: the recorder saw the endpoint's name computed`);
    // A gateway that answers is described by its answer: the PID file, state file and lifecycle log are not read.
    assert.deepEqual(urls.filter((u) => /\/dist\/src\/(runtime\/(pid-file|state-file|lifecycle-log)|control\/(status|service-info))\.js$/.test(u)), [], `${args.join(' ')} loaded what only a gateway that does not answer needs`);
    // A send goes over the control endpoint: no HTTP client (node:http is for --wait, and for gateways too old for it).
    assert.deepEqual(urls.filter((u) => u === 'node:http' || u === 'internal:_http_client'), [], `${args.join(' ')} loaded an HTTP client`);
  }
});

test('the monitor loads no zod, pino, SQLite, gateway application or CLI code (nor commander, nor does its worker); the worker does the work', { skip }, async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-modules-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const started = await home.cli(['start'], { env: { NODE_OPTIONS: `--import=${RECORDER}`, GATEHOUSE_RECORD_MODULES: dir } });
  assert.equal(started.code, 0, started.stderr);
  assert.equal((await home.api().send('chat-1', 'hello')).length > 0, true);
  const state = home.state();
  assert.ok(state.kind === 'ok' && state.value.worker !== null);
  const lists = recordedBy(dir);
  const monitor = lists.get(state.value.pid);
  const worker = lists.get(state.value.worker.pid);
  assert.ok(monitor !== undefined && worker !== undefined, `recorded pids ${[...lists.keys()].join(', ')}`);
  assert.ok(worker.some((u) => u === 'node:sqlite'), 'the recorder sees the worker open SQLite');
  assert.ok(monitor.includes('internal:child_process'), "the recorder sees the monitor's internal modules");
  // No chat channel and the echo agent: the Telegram client and the openai agent (HTTPS, SSE), the
  // biggest parts of the worker's boot before its first answer, stay unloaded.
  assert.deepEqual(worker.filter((u) => /\/dist\/src\/(channels\/telegram\/(channel|bot-api|poller|sender)|gateway\/agents\/(openai|model-server))\.js$/.test(u)), [], 'the worker loaded code it has no use for');
  assert.deepEqual(heavyIn(worker, ['TLS (node:https)']), [], 'the worker loaded TLS with nothing to send over it');
  // A plain config.json is read without zod (gateway/config-plain.ts), and the worker logs as the monitor does, without pino.
  assert.deepEqual(heavyIn(worker, ['zod', 'pino']), [], 'the worker loaded the validation library or pino for a plain config');
  assert.deepEqual(heavyIn(monitor), [], 'the monitor loaded heavy modules');
  // It runs all day: no HTTP stack until an alert is sent (it answers without a worker in raw
  // HTTP/1.1), no perf_hooks for a ping's latency.
  assert.deepEqual(monitor.filter((u) => /^(node:|internal:)(http|_http_[a-z]+|internal\/http|perf_hooks)$/.test(u)), [], 'the monitor loaded the HTTP stack or perf_hooks');
  assert.deepEqual(monitor.filter((u) => NAMESPACE_GETTERS.some((r) => r.test(u))), [], 'the monitor built the namespace of node:process or node:util');
  const cli = monitor.filter((u) => /\/dist\/src\/control\/(start|stop|status|service-[a-z]+)\.js$/.test(u));
  assert.deepEqual(cli, [], 'the monitor loaded CLI-side control code');
  // Both run all day: their `run` command line is read without commander and the other commands.
  for (const [role, urls] of [['monitor', monitor], ['worker', worker]] as const) {
    assert.ok(urls.some((u) => u.endsWith('/dist/src/cli/run-command.js')), `${role}: the recorder saw its entry`);
    assert.deepEqual(urls.filter((u) => FULL_CLI.test(u)), [], `${role} loaded the full CLI`);
  }
});
