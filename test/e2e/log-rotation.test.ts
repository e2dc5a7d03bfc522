// The gateway log rotates by size while the gateway runs, with the monitor as its one writer: real
// gateways with a tiny `log.maxBytes`, messages flowing and the worker killed mid-stream. A module
// agent writes numbered probe lines on its stdout and stderr and, after each write returned, notes
// the number in a ledger file: every noted line must be in exactly one log file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TestHome, eventually, workerPid } from './harness.js';

const PROBE = /probe id=(\d+-\d+)/g;

/** Three probe lines per message (two on stdout as pino-shaped records, one raw on stderr); text "crash" throws uncaught. */
function writeProbeAgent(home: TestHome): { module: string; ledger: string } {
  const ledger = join(home.home, 'ledger.txt');
  const module = join(home.home, 'probe-agent.mjs');
  writeFileSync(module, `import { appendFileSync, writeSync } from 'node:fs';
let n = 0;
const probe = (fd, text) => {
  const id = process.pid + '-' + (++n);
  const line = fd === 1 ? JSON.stringify({ level: 30, time: Date.now(), pid: process.pid, role: 'worker', msg: 'probe id=' + id + ' ' + text }) : 'probe id=' + id + ' on stderr ' + text;
  writeSync(fd, line + '\\n');
  appendFileSync(${JSON.stringify(ledger)}, id + '\\n');
};
export default { async reply({ text }) {
  if (text === 'crash') setTimeout(() => { throw new Error('uncaught-boom from the probe agent'); }, 0);
  probe(1, text); probe(2, text); probe(1, text);
  return { ok: true, text: 'ok ' + text, error: null };
} };
`);
  return { module, ledger };
}

/** gateway.log and its rotated files, oldest first; fails on a gap in the numbers. */
function logFiles(log: string): string[] {
  const numbers = readdirSync(join(log, '..')).filter((name) => /^gateway\.log\.\d+$/.test(name)).map((name) => Number(name.slice('gateway.log.'.length))).sort((a, b) => a - b);
  assert.deepEqual(numbers, numbers.map((_, i) => i + 1), `rotated files numbered without gaps: ${numbers.join(',')}`);
  return [...numbers.reverse().map((n) => `${log}.${n}`), log];
}

function ids(text: string): string[] {
  return [...text.matchAll(PROBE)].map((match) => match[1]!);
}

function countOf(list: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const id of list) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

/** Each file within maxBytes, unless it holds one line only. */
function assertWithinLimit(files: readonly string[], maxBytes: number): void {
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    assert.ok(statSync(file).size <= maxBytes || text.split('\n').filter((l) => l !== '').length === 1, `${file}: ${statSync(file).size} bytes`);
  }
}

test('a running gateway rotates its log by size while messages flow and the worker is killed: every line in exactly one file', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  const { module, ledger } = writeProbeAgent(home);
  const maxBytes = 4096;
  home.writeConfig({ agent: { kind: 'module', module }, log: { maxBytes, keep: 100 } });
  await home.start();
  const log = home.paths().gatewayLog;
  const follow = home.spawnCli(['logs', '-f', '-n', '1', '--raw']);
  let followed = '';
  follow.stdout!.setEncoding('utf8').on('data', (chunk: string) => { followed += chunk; });
  await eventually('logs -f to print the last line, then follow from there', () => followed !== '');

  const api = home.api();
  const sent: Array<[string, string]> = [];
  for (let i = 1; i <= 160; i++) {
    const session = `s${i % 4}`;
    sent.push([session, await api.send(session, `message ${i}`)]);
    if (i === 40 || i === 100) {
      const pid = workerPid(home);
      process.kill(pid, 'SIGKILL'); // mid-stream: messages still being answered
      await eventually('a new worker', () => workerPid(home) !== pid);
    }
    if (i === 130) {
      const pid = workerPid(home);
      await api.send('crasher', 'crash'); // the worker dies of an uncaught exception
      await eventually('a new worker after the uncaught exception', () => workerPid(home) !== pid);
    }
  }
  for (const [session, id] of sent) assert.ok(await api.waitForReply(session, id, 30_000), `message ${id} answered`);
  const stop = await home.cli(['stop']);
  assert.equal(stop.code, 0, stop.stdout + stop.stderr);
  await eventually('logs -f to show the stop', () => followed.includes('monitor exiting'));
  follow.kill('SIGTERM');

  const files = logFiles(log);
  assert.ok(files.length >= 10, `rotated while running: ${files.length} files`);
  assertWithinLimit(files, maxBytes);
  const written = readFileSync(ledger, 'utf8').split('\n').filter((l) => l !== '');
  assert.ok(written.length >= 480, `${written.length} probe lines written`);
  const logged = countOf(files.flatMap((file) => ids(readFileSync(file, 'utf8'))));
  for (const id of written) assert.equal(logged.get(id), 1, `probe ${id} in exactly one log file`);
  const unnoted = [...logged.keys()].filter((id) => !written.includes(id));
  assert.ok(unnoted.length <= 3, `only a line written in the instant of a kill may miss the ledger: ${unnoted.join(',')}`);
  assert.deepEqual([...countOf(ids(followed)).entries()].filter(([, n]) => n !== 1), [], 'logs -f showed no line twice');
  for (const id of written) assert.ok(followed.includes(`probe id=${id} `), `logs -f showed ${id} across the rotations`);

  const all = files.flatMap((file) => readFileSync(file, 'utf8').split('\n').filter((l) => l !== ''));
  assert.ok(all.some((line) => line.includes('Error: uncaught-boom from the probe agent')), "the worker's uncaught exception trace is in the log");
  // Stopped, so probes fail: status --deep's log-tail quotes the newest problems (raw stderr lines here).
  const deep = await home.cli(['status', '--deep', '--json']);
  const logTail = (JSON.parse(deep.stdout) as { probes: Array<{ id: string; detail: string }> }).probes.find((p) => p.id === 'log-tail');
  const stderrProbes = all.filter((line) => line.startsWith('probe id='));
  assert.deepEqual(ids(logTail?.detail ?? ''), ids(stderrProbes.slice(-5).join('\n')), deep.stdout);
  const current = readFileSync(log, 'utf8').split('\n').filter((l) => l !== '').length;
  const tail = await home.cli(['logs', '-n', '60', '--raw']);
  const shown = tail.stdout.split('\n').filter((l) => l !== '');
  assert.ok(shown.length > current, 'logs -n reaches into gateway.log.1 after a rotation');
  assert.deepEqual(shown, all.slice(-shown.length), 'logs -n shows the newest lines, in order');
});

test('past `log.keep` files the oldest lines go: exactly keep + 1 files, the newest lines kept once', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  const { module, ledger } = writeProbeAgent(home);
  const maxBytes = 2048;
  home.writeConfig({ agent: { kind: 'module', module }, log: { maxBytes, keep: 2 } });
  await home.start();
  const api = home.api();
  const sent: string[] = [];
  for (let i = 1; i <= 60; i++) sent.push(await api.send('s', `message ${i}`));
  for (const id of sent) assert.ok(await api.waitForReply('s', id, 30_000));
  assert.equal((await home.cli(['stop'])).code, 0);
  const log = home.paths().gatewayLog;
  const files = logFiles(log);
  assert.deepEqual(files, [`${log}.2`, `${log}.1`, log]);
  assertWithinLimit(files, maxBytes);
  const written = readFileSync(ledger, 'utf8').split('\n').filter((l) => l !== '');
  const logged = countOf(files.flatMap((file) => ids(readFileSync(file, 'utf8'))));
  assert.equal(logged.get(written.at(-1)!), 1, 'the newest line is kept');
  assert.equal(logged.has(written[0]!), false, 'the oldest lines are gone with the files past keep');
  assert.deepEqual([...logged.values()].filter((n) => n !== 1), [], 'no line twice');
});

test('start quotes the reason from the log even when the new monitor rotated it at its first line', async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({ agent: { kind: 'module', module: join(home.home, 'missing-agent.mjs') }, log: { maxBytes: 4096, keep: 3 } });
  mkdirSync(home.paths().logDir, { recursive: true });
  writeFileSync(home.paths().gatewayLog, '{"level":30,"time":1,"msg":"an earlier life"}\n'.repeat(200)); // over maxBytes
  const start = await home.cli(['start']);
  assert.equal(start.code, 78, start.stdout + start.stderr);
  assert.match(start.stdout + start.stderr, /missing-agent\.mjs/);
  assert.ok(existsSync(`${home.paths().gatewayLog}.1`), 'the old log was rotated by the monitor');
});

test("what a detached monitor prints outside its log (a crash trace) is quoted by start, then carried into the gateway log", async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  // Throws in the detached monitor only, before any of Gatehouse runs: its trace goes to stderr.
  const preload = join(home.home, 'boom.cjs');
  writeFileSync(preload, "if (process.env.GATEHOUSE_DETACHED === '1' && process.env.GATEHOUSE_ROLE !== 'worker') throw new Error('preload-boom before the log exists');\n");
  const failed = await home.cli(['start'], { env: { NODE_OPTIONS: `--require=${preload}` } });
  assert.equal(failed.code, 1, failed.stdout + failed.stderr);
  assert.match(failed.stdout + failed.stderr, /preload-boom before the log exists/);
  const paths = home.paths();
  assert.match(readFileSync(paths.crashLog, 'utf8'), /preload-boom/);
  const deep = await home.cli(['status', '--deep', '--json']);
  const logTail = (JSON.parse(deep.stdout) as { probes: Array<{ id: string; detail: string }> }).probes.find((p) => p.id === 'log-tail');
  const lastCrashLine = readFileSync(paths.crashLog, 'utf8').trim().split('\n').at(-1)!;
  assert.ok(logTail?.detail.endsWith(lastCrashLine), `status --deep quotes the crash log too: ${logTail?.detail}`);
  await home.start();
  assert.equal(readFileSync(paths.crashLog, 'utf8'), '', 'carried over, not left to be quoted again');
  const carried = readFileSync(paths.gatewayLog, 'utf8');
  assert.match(carried, /an earlier gateway printed this outside its log/);
  assert.match(carried, /Error: preload-boom before the log exists/);
});
