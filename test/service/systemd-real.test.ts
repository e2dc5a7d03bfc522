// The systemd backend against a REAL `systemd --user` manager (../shared/ci/user-systemd.sh, which
// needs root and creates a throwaway user). A stub entry script stands in for the gateway: it records
// the argv, environment and cwd systemd gave it, and on SIGTERM records a drain and exits 0. Proves
// the quoting through systemd's own parser, restart after SIGKILL, no restart after a planned exit 0,
// and that uninstall leaves nothing behind. Set GATEHOUSE_SKIP_REAL_SYSTEMD=1 to skip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { runBounded } from '../../src/platform/spawn.js';
import { createSystemdUserBackend } from '../../src/service/systemd-user.js';
import { systemdUserDir } from '../../src/service/systemd-unit.js';
import { buildServiceSpec } from '../../src/service/spec.js';
import { LOCK_WAIT_MS, upUserManager, userSystemdSkipReason, USER_SYSTEMD_SCRIPT, waitFor as waitForValue } from './user-systemd.js';

const SCRIPT = USER_SYSTEMD_SCRIPT;
const USER = `ghsd${process.pid}`;
const WAIT_MS = 15_000;
const skip = userSystemdSkipReason();

const STUB = `const fs = require('node:fs');
const out = require('node:path').join(process.env.GATEHOUSE_HOME, 'seen.json');
fs.writeFileSync(out, JSON.stringify({ argv: process.argv.slice(2), home: process.env.GATEHOUSE_HOME, supervised: process.env.GATEHOUSE_SUPERVISED, cwd: process.cwd(), pid: process.pid }));
process.on('SIGTERM', () => { fs.writeFileSync(out + '.drained', String(process.pid)); process.exit(0); });
setInterval(() => {}, 60000);
`;

const waitFor = <T>(what: string, probe: () => T | undefined): Promise<T> => waitForValue(what, probe, WAIT_MS);

test('a real systemd user manager runs, revives, stops and forgets the generated unit', { skip, timeout: LOCK_WAIT_MS + 120_000 }, async (t) => {
  // Serialized with the other real-systemd file: `down` removes /run/systemd/system.
  const manager = await upUserManager(USER);
  t.after(() => manager.down());
  const uid = Number(spawnSync('id', ['-u', USER], { encoding: 'utf8' }).stdout);
  const userHome = spawnSync('getent', ['passwd', USER], { encoding: 'utf8' }).stdout.split(':')[5] as string;
  const root = mkdtempSync('/tmp/gh real 100% $x "q" ü-');
  t.after(() => rmSync(root, { recursive: true, force: true }));
  chmodSync(root, 0o755);
  const home = join(root, 'home $USER %u');
  const logDir = join(root, 'logs 100%');
  for (const dir of [home, logDir]) { mkdirSync(dir); chownSync(dir, uid, uid); }
  const entry = join(root, 'entry %h $HOME "x".cjs');
  writeFileSync(entry, STUB, { mode: 0o644 });
  const unitDir = systemdUserDir(join(userHome, '.config'));
  // In real use the CLI runs as the user; here root writes, so the user must own the directories
  // systemctl enable adds its symlinks to.
  mkdirSync(unitDir, { recursive: true });
  for (const dir of ['.config', '.config/systemd', '.config/systemd/user']) chownSync(join(userHome, dir), uid, uid);
  const run = (command: string, args: readonly string[], options: Parameters<typeof runBounded>[2]) =>
    runBounded('bash', [SCRIPT, 'run', USER, '--', command, ...args], { timeoutMs: options.timeoutMs });
  const backend = createSystemdUserBackend({ unitDir, run, user: USER });
  const base = buildServiceSpec({ profile: 'work', nodePath: process.execPath, entryScript: entry, home, workingDirectory: root, logDir, drainTimeoutMs: 5_000 });
  const spec = { ...base, args: [...base.args, 'a b"c\\d', '%h $HOME ${USER} $$', '', 'ü🚀'] };

  const installed = await backend.install(spec, { start: true, login: true });
  assert.ok(installed.ok, installed.detail);
  const seenFile = join(home, 'seen.json');
  const seen = await waitFor('the first start', () => (existsSync(seenFile) ? JSON.parse(readFileSync(seenFile, 'utf8')) : undefined));
  assert.deepEqual(seen.argv, spec.args, 'systemd passed exactly our argv');
  assert.deepEqual([seen.home, seen.supervised, seen.cwd], [home, '1', root]);
  assert.deepEqual(await backend.status('work').then((s) => [s.installed, s.enabled, s.state]), [true, true, 'running']);

  process.kill(seen.pid, 'SIGKILL');
  const revived = await waitFor('the restart after SIGKILL', () => {
    const now = existsSync(seenFile) ? JSON.parse(readFileSync(seenFile, 'utf8')) : undefined;
    return now !== undefined && now.pid !== seen.pid ? now : undefined;
  });

  // No start limit (StartLimitIntervalSec=0): what the manager itself loaded, not only what we wrote.
  const limits = run('systemctl', ['--user', 'show', '-p', 'StartLimitIntervalUSec', '--value', 'gatehouse-work.service'], { timeoutMs: 30_000 });
  assert.equal(limits.stdout.trim(), '0', 'systemd loaded the unit without a start limit');

  // A planned stop from inside (what `gatehouse stop` makes the monitor do): exit 0 stays down.
  process.kill(revived.pid, 'SIGTERM');
  await waitFor('the planned exit', () => (existsSync(`${seenFile}.drained`) ? true : undefined));
  await sleep(6_000); // longer than RestartSec
  assert.equal((await backend.status('work')).state, 'stopped', 'Restart=always must not undo a planned exit 0');

  const started = await backend.start('work');
  assert.ok(started.ok, started.detail);
  const third = await waitFor('the start', () => {
    const now = existsSync(seenFile) ? JSON.parse(readFileSync(seenFile, 'utf8')) : undefined;
    return now !== undefined && now.pid !== revived.pid ? now : undefined;
  });
  const stopped = await backend.stop('work');
  assert.ok(stopped.ok, stopped.detail);
  assert.equal(readFileSync(`${seenFile}.drained`, 'utf8'), String(third.pid), 'systemctl stop sent SIGTERM to the monitor, which drained');
  assert.equal((await backend.status('work')).state, 'stopped');

  const removed = await backend.uninstall('work');
  assert.ok(removed.ok, removed.detail);
  assert.equal(existsSync(join(unitDir, 'gatehouse-work.service')), false);
  const load = run('systemctl', ['--user', 'show', '-p', 'LoadState', '--value', 'gatehouse-work.service'], { timeoutMs: 30_000 });
  assert.equal(load.stdout.trim(), 'not-found');
});
