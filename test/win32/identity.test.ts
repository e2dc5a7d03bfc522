// Liveness, start-time identity, descendants and the control pipe of the win32 platform, on real
// processes (node.exe under Wine in CI).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { UnrepresentableError } from '../../src/errors.js';
import { buildWindowsCommandLine } from '../../src/platform/win-cmdline.js';
import { win32 } from '../../src/platform/win32.js';
import { spawnDetachedWin32 } from '../../src/platform/win32-spawn.js';
import { skipUnlessWin32, tempDir, readLine, waitFor, waitForExit } from './win32-helpers.js';

const STEP_TIMEOUT_MS = 30_000;
const CHILD_LIFETIME_MS = 60_000;

test('a live child is alive with a stable start time; once dead it is neither alive nor the same identity', { skip: skipUnlessWin32, timeout: 90_000 }, async () => {
  const before = Date.now();
  const child = spawn(process.execPath, ['-e', `setTimeout(() => {}, ${CHILD_LIFETIME_MS})`], { stdio: 'ignore', windowsHide: true });
  await new Promise((resolve) => child.once('spawn', resolve));
  const pid = child.pid ?? assert.fail('no pid');
  try {
    assert.equal(win32.isAlive(pid), true);
    const start = win32.processStartTime(pid) ?? assert.fail('no start time for a live child');
    assert.equal(win32.processStartTime(pid), start, 'the start time is the same on every read');
    // Ordering, not timing: the child was created after we noted `before` (1 s for clock granularity).
    assert.ok(start >= before - 1_000, `start ${start} is not before the spawn (${before})`);
    assert.equal(win32.matchesIdentity({ pid, startTime: start }), true);
    assert.equal(win32.matchesIdentity({ pid, startTime: start - 1 }), false, 'a recycled pid has another start time');
    assert.equal(win32.matchesIdentity({ pid, startTime: start + 1 }), false);
    const self = win32.processStartTime(process.pid) ?? assert.fail('no start time for this process');
    assert.ok(self <= start, 'this process started before its child');
  } finally {
    child.kill();
  }
  await waitForExit(child, STEP_TIMEOUT_MS);
  assert.equal(win32.isAlive(pid), false);
  assert.equal(win32.processStartTime(pid), null);
  for (const bogus of [0, -1, 1.5, 0x7fff_fff0]) assert.equal(win32.isAlive(bogus), false, `isAlive(${bogus})`);
});

test('descendants lists a child and its grandchild, deepest first, with their start times', { skip: skipUnlessWin32, timeout: 90_000 }, async () => {
  const grandchild = `setTimeout(() => {}, ${CHILD_LIFETIME_MS})`;
  const child = spawn(process.execPath, ['-e', `
    const g = require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(grandchild)}], { stdio: 'ignore' });
    g.on('spawn', () => console.log('grandchild ' + g.pid));
    setTimeout(() => {}, ${CHILD_LIFETIME_MS});`], { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
  let grandPid = 0;
  try {
    grandPid = Number((await readLine(child, /^grandchild \d+$/, STEP_TIMEOUT_MS)).split(' ')[1]);
    const found = win32.descendants(process.pid);
    const pids = found.map((d) => d.pid);
    assert.ok(pids.includes(child.pid ?? -1) && pids.includes(grandPid), `descendants ${JSON.stringify(found)} lack ${child.pid}/${grandPid}`);
    assert.ok(pids.indexOf(grandPid) < pids.indexOf(child.pid ?? -1), 'deepest first');
    for (const d of found) assert.ok(win32.matchesIdentity(d), `descendant ${d.pid} has its real start time`);
    assert.deepEqual(win32.descendants(grandPid), [], 'a leaf has no descendants');
  } finally {
    if (grandPid > 0) win32.signal(grandPid, 'SIGKILL');
    child.kill();
  }
  await waitForExit(child, STEP_TIMEOUT_MS);
});

test('spawnDetachedWin32 passes arguments, environment and cwd through, output to the log file', { skip: skipUnlessWin32, timeout: 90_000 }, async () => {
  const dir = tempDir('args');
  const logFile = join(dir, 'out.log');
  // Blanks other than space, tab, LF and VT are text to the C runtime: passed unquoted, as they are.
  const args = ['plain', 'with space', '', 'quote"inside', 'trailing\\', 'back\\\\"slash', 'tab\there', 'ünïcødé', 'form\ffeed', 'cr\rhere', 'nb\u00a0sp', 'ideo\u3000sp'];
  const script = 'console.log(JSON.stringify({ argv: process.argv.slice(1), value: process.env.GH_WIN32_VALUE, cwd: process.cwd() }))';
  const spawned = spawnDetachedWin32(process.execPath, ['-e', script, '--', ...args], {
    env: { ...process.env, GH_WIN32_VALUE: 'a b "c" %PATH% ü' }, cwd: dir, logFile,
  });
  assert.ok(spawned.pid > 0);
  assert.equal(typeof spawned.breakaway, 'boolean');
  const line = await waitFor('the child to write its log', STEP_TIMEOUT_MS, () => {
    try { return readFileSync(logFile, 'utf8').split(/\r?\n/).find((l) => l.startsWith('{')); } catch { return undefined; }
  });
  const seen = JSON.parse(line) as { argv: string[]; value: string; cwd: string };
  assert.deepEqual(seen.argv, args, `command line was ${buildWindowsCommandLine([process.execPath, ...args])}`);
  assert.equal(seen.value, 'a b "c" %PATH% ü');
  assert.equal(seen.cwd.toLowerCase(), dir.toLowerCase());
});

test('an argument with NUL is refused before anything starts (CreateProcessW would end the command line there)', { skip: skipUnlessWin32, timeout: 60_000 }, () => {
  const dir = tempDir('nul');
  const marker = join(dir, 'ran.txt');
  // Cut at the NUL, this line would still run the script: it must not start at all.
  const script = `require('fs').writeFileSync(${JSON.stringify(marker)}, process.argv.slice(1).join('|'))`;
  assert.throws(() => spawnDetachedWin32(process.execPath, ['-e', script, 'a\0b', 'after'], { env: process.env, cwd: dir, logFile: join(dir, 'out.log') }), UnrepresentableError);
  assert.equal(existsSync(marker), false, 'nothing ran');
});

test('the control endpoint is a named pipe per profile that a server can listen on', { skip: skipUnlessWin32, timeout: 60_000 }, async () => {
  const dir = tempDir('pipe');
  const endpoint = win32.controlEndpoint(dir);
  assert.match(endpoint.address, /^\\\\\.\\pipe\\gatehouse-[0-9a-f]{24}$/);
  assert.equal(endpoint.needsOwnershipCheck, true);
  assert.equal(endpoint.file, null);
  assert.equal(win32.controlEndpoint(dir.toUpperCase()).address, endpoint.address, 'Windows paths are case-insensitive');
  assert.notEqual(win32.controlEndpoint(join(dir, 'other')).address, endpoint.address);
  const server = createServer((socket) => socket.end('pong'));
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(endpoint.address, resolve); });
  try {
    const reply = await new Promise<string>((resolve, reject) => {
      let data = '';
      const socket = createConnection(endpoint.address);
      socket.setEncoding('utf8').on('data', (chunk: string) => { data += chunk; }).on('end', () => resolve(data)).on('error', reject);
    });
    assert.equal(reply, 'pong');
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test('terminate ends a live process with taskkill /F /PID, and reports a gone one', { skip: skipUnlessWin32, timeout: 90_000 }, async () => {
  const { terminate } = await import('../../src/platform/win32.js');
  const child = spawn(process.execPath, ['-e', `setTimeout(() => {}, ${CHILD_LIFETIME_MS})`], { stdio: 'ignore', windowsHide: true });
  await new Promise((resolve) => child.once('spawn', resolve));
  const pid = child.pid ?? assert.fail('no pid');
  try {
    assert.equal(terminate(pid), 'taskkill', 'taskkill.exe ran and succeeded');
    await waitForExit(child, STEP_TIMEOUT_MS);
    assert.equal(win32.isAlive(pid), false);
    assert.equal(terminate(pid), 'gone');
  } finally {
    child.kill();
  }
});
