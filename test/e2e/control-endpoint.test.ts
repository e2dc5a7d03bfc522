// The control endpoint against other local users. A squatter (a real process of another user,
// `nobody`) binds the profile's computable endpoint while the gateway is down: start, status, send
// and stop must send it no token and no message, never believe what it says, and say what is wrong.
// A flood of idle connections must not use up the monitor's descriptors or lock out the real CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestHome, eventually, healthz } from './harness.js';
import { platform } from '../../src/platform/index.js';
import { readCommandLine } from '../../src/platform/linux-proc.js';
import { abstractEndpoint } from '../../src/platform/control-endpoint.js';
import { MAX_CONTROL_CONNECTIONS } from '../../src/runtime/control-connections.js';

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;
const hasSetpriv = spawnSync('setpriv', ['--version']).status === 0;
const asOtherUserSkip = process.platform !== 'linux' ? 'the abstract socket namespace is Linux only' : !isRoot ? 'needs root to run a process as another user' : !hasSetpriv ? 'setpriv is missing' : false;

/**
 * The squatter: listens on the abstract name, records every byte it receives, and answers every
 * line with a plausible hello (a forged proof) naming `pid`, as the one in the issue did.
 */
const SQUATTER = `
const { createServer } = require('node:net');
const { appendFileSync } = require('node:fs');
const [name, record, pid] = process.argv.slice(1);
const server = createServer((socket) => {
  socket.on('error', () => {});
  socket.on('data', (chunk) => {
    appendFileSync(record, chunk);
    socket.write(JSON.stringify({ ok: true, data: { instance: 'gh_squat', pid: Number(pid), startTime: 0, profile: 'default', version: '0.1.0', state: 'running', supervised: false, challenge: 'A'.repeat(43), proof: 'forged', apiUrl: 'http://127.0.0.1:9' } }) + '\\n');
  });
});
server.listen('\\0' + name, () => console.log('listening'));
`;

test('another user squatting the control endpoint gets no token and no message; start, status, send and stop say so', { skip: asOtherUserSkip }, async (t) => {
  const home = new TestHome();
  const spool = mkdtempSync(join(tmpdir(), 'gatehouse-squat-'));
  chmodSync(spool, 0o777);
  t.after(() => home.cleanup());
  t.after(() => rmSync(spool, { recursive: true, force: true }));
  home.writeConfig({});
  await home.start(); // the profile has a token, as a used profile does
  assert.equal((await home.cli(['stop'])).code, 0);
  const token = home.token();

  const record = join(spool, 'received');
  const name = abstractEndpoint(home.paths().dir).address.slice(1);
  const squatter = spawn('setpriv', ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', process.execPath, '-e', SQUATTER, name, record, String(process.pid)], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => { squatter.kill('SIGKILL'); });
  await new Promise<void>((resolve, reject) => {
    squatter.stdout.once('data', () => resolve());
    squatter.once('exit', (code) => reject(new Error(`the squatter exited (${code}): ${squatter.stderr.read() ?? ''}`)));
  });
  assert.equal(readCommandLine(squatter.pid!)?.includes('setpriv'), false, 'setpriv exec()ed the squatter');

  const start = await home.cli(['start']);
  assert.equal(start.code, 1, `${start.stdout}${start.stderr}`);
  assert.match(start.stderr, /another user's process .*holds the control endpoint/);
  assert.doesNotMatch(`${start.stdout}${start.stderr}`, /already running|pid \d+/, 'the squatter\'s claims are not repeated as ours');

  const status = await home.cli(['status', '--deep', '--json']);
  assert.equal(status.code, 1, status.stdout);
  const json = JSON.parse(status.stdout) as { running: boolean; state: string; pid: number | null; reason: string; api: { url: string | null }; probes: Array<{ id: string; ok: boolean; detail: string }> };
  assert.deepEqual([json.running, json.state, json.pid, json.api.url], [false, 'blocked', null, null]);
  assert.match(json.reason, /another user's process/);
  assert.equal(json.probes.find((p) => p.id === 'control')?.ok, false);

  const secret = 'my private text that only my gateway may read';
  const send = await home.cli(['send', 'chat', secret]);
  assert.equal(send.code, 1, `${send.stdout}${send.stderr}`);
  assert.match(send.stderr, /another user's process .*the message was not sent/);

  const stop = await home.cli(['stop', '--json']);
  assert.equal(stop.code, 0, stop.stdout);
  const stopped = JSON.parse(stop.stdout) as { wasRunning: boolean; message: string };
  assert.equal(stopped.wasRunning, false);
  assert.match(stopped.message, /another user's process/);
  assert.equal(platform.isAlive(process.pid), true, 'the pid the squatter named was never signalled');

  const received = readFileSync(record, 'utf8');
  assert.match(received, /"cmd":"hello"/, 'the squatter was reached (the test saw the real exchange)');
  assert.ok(!received.includes(token), 'no token bytes reached the squatter');
  assert.ok(!received.includes(secret), 'no message text reached the squatter');
  assert.doesNotMatch(received, /"cmd":"(status|stop|restart)"|"auth"/, 'no command and no proof reached it');

  squatter.kill('SIGKILL');
  await eventually('the squatter to be gone', () => squatter.exitCode !== null || squatter.signalCode !== null);
  await home.start();
  assert.equal((await home.cli(['status'])).code, 0);
});

function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

test('thousands of idle control connections: the monitor keeps a bounded number, the API and the CLI keep working', { skip: process.platform === 'linux' ? false : 'counts descriptors through /proc' }, async (t) => {
  const home = new TestHome();
  t.after(() => home.cleanup());
  home.writeConfig({});
  const monitor = await home.start();
  const before = openFds(monitor);
  const address = platform.controlEndpoint(home.paths().dir).address;
  const idle: Socket[] = [];
  t.after(() => { for (const s of idle) s.destroy(); });
  const FLOOD = 3_000;
  for (let i = 0; i < FLOOD; i++) {
    const socket = connect(address);
    socket.on('error', () => {});
    idle.push(socket);
  }
  await eventually('the flood to be connected or cut', () => idle.every((s) => s.readyState !== 'opening'), 30_000);
  await eventually(`the monitor to hold at most ${MAX_CONTROL_CONNECTIONS} of them`, () => openFds(monitor) <= before + MAX_CONTROL_CONNECTIONS + 8, 15_000);
  assert.equal((await healthz(home.apiUrl())).status, 200, 'the API answers during the flood');
  const status = await home.cli(['status', '--json']);
  assert.equal(status.code, 0, `the real CLI gets through: ${status.stdout}${status.stderr}`);
  assert.equal((JSON.parse(status.stdout) as { pid: number }).pid, monitor);
  const sent = await home.cli(['send', 'flood', 'still here', '--wait']);
  assert.equal(sent.stdout.trim(), 'echo: still here', sent.stderr);
});
