// systemd quoting round trips, the user unit's restart/stop properties, render -> parse, and
// `systemd-analyze verify` on every generated unit when the binary exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnvironmentLine, parseExecLine, quoteEnvironmentAssignment, quoteExecLine, quoteUnitPath, parseUnitPath } from '../../src/service/systemd-quote.js';
import { parseSystemdUnit, parseUnitFile, renderSystemdUnit, systemdUnitName, unitValue } from '../../src/service/systemd-unit.js';
import { buildServiceSpec, normalizeSpec, UnrepresentableError } from '../../src/service/spec.js';
import type { ServiceSpec } from '../../src/service/types.js';
import { LINE_BREAKS, NASTY } from './nasty.js';

function spec(overrides: Partial<Parameters<typeof buildServiceSpec>[0]> = {}): ServiceSpec {
  return buildServiceSpec({
    profile: 'work',
    nodePath: '/opt/node 24/bin/node',
    entryScript: '/home/u/100% $HOME "x"/gatehouse.js',
    home: '/home/u/.local/share/gate house %h $USER',
    workingDirectory: '/home/u/dir %i',
    logDir: '/home/u/logs $x',
    drainTimeoutMs: 30_000,
    ...overrides,
  });
}

test('ExecStart quoting round-trips every nasty argument, including line breaks (C escapes)', () => {
  for (const value of [...NASTY, ...LINE_BREAKS, '\x01\x7f']) {
    const argv = ['/usr/bin/node', value, `x${value}y`];
    assert.deepEqual(parseExecLine(quoteExecLine(argv)), argv, JSON.stringify(value));
  }
  assert.deepEqual(parseExecLine(quoteExecLine(['/n', ...NASTY])), ['/n', ...NASTY]);
});

test('ExecStart escapes specifiers and substitutions, and refuses NUL and a relative executable', () => {
  assert.equal(quoteExecLine(['/bin/x', '100%', '$HOME', 'a"b\\c']), '"/bin/x" "100%%" "$$HOME" "a\\"b\\\\c"');
  assert.throws(() => quoteExecLine(['/bin/x', 'a\0b']), UnrepresentableError);
  assert.throws(() => quoteExecLine(['node', 'x']), UnrepresentableError);
});

test('the ExecStart parser reads systemd syntax we did not write ourselves', () => {
  assert.deepEqual(parseExecLine(`/bin/x 'a b' "c\\x41d" plain\\sword %% $$ "\\u00e9"`), ['/bin/x', 'a b', 'cAd', 'plain word', '%', '$', 'é']);
  assert.throws(() => parseExecLine('/bin/x %h'), /specifier/);
  assert.throws(() => parseExecLine('/bin/x $HOME'), /substitution/);
  assert.throws(() => parseExecLine('/bin/x "open'), /unterminated/);
});

test('Environment= quoting round-trips values and keeps a literal $ single', () => {
  for (const value of [...NASTY, ...LINE_BREAKS]) {
    assert.deepEqual(parseEnvironmentLine(quoteEnvironmentAssignment('GATEHOUSE_HOME', value)), [['GATEHOUSE_HOME', value]]);
  }
  assert.equal(quoteEnvironmentAssignment('A', '$x %y'), '"A=$x %%y"');
  assert.throws(() => quoteEnvironmentAssignment('BAD NAME', 'x'), UnrepresentableError);
});

test('path settings round-trip through specifier escaping and refuse what the unit parser would mangle', () => {
  for (const path of ['/a b/c', '/100%/%h', '/$HOME/x', '/ünï/🚀', '/a"b\'c']) assert.equal(parseUnitPath(quoteUnitPath(path)), path);
  for (const bad of ['relative', '/trailing ', '/ends\\', '/new\nline']) assert.throws(() => quoteUnitPath(bad), UnrepresentableError);
});

test('unit name per profile', () => {
  assert.equal(systemdUnitName('default'), 'gatehouse.service');
  assert.equal(systemdUnitName('work'), 'gatehouse-work.service');
});

test('the unit restarts crashes, keeps planned and fatal exits down, and outlasts the drain', () => {
  const unit = parseUnitFile(renderSystemdUnit(spec({ drainTimeoutMs: 45_000 })));
  const service = (key: string): string | undefined => unitValue(unit, 'Service', key);
  assert.equal(service('Type'), 'simple');
  assert.equal(service('Restart'), 'always');
  assert.deepEqual(service('RestartPreventExitStatus')?.split(' '), ['0', '78']);
  assert.equal(service('KillMode'), 'mixed');
  assert.equal(service('KillSignal'), 'SIGTERM');
  assert.ok(Number(service('TimeoutStopSec')) * 1000 > 45_000, 'TimeoutStopSec must exceed the drain timeout');
  assert.ok(Number(service('RestartSec')) > 0);
  // A stray SIGTERM exits 143 and is restarted; systemctl's stop (also SIGTERM) must end clean.
  assert.deepEqual(service('SuccessExitStatus')?.split(' '), ['75', '143']);
  // No start limit: a monitor crash loop is retried every RestartSec, never given up on.
  assert.equal(unitValue(unit, 'Unit', 'StartLimitIntervalSec'), '0');
  assert.equal(unitValue(unit, 'Unit', 'StartLimitBurst'), undefined);
  assert.equal(unitValue(unit, 'Install', 'WantedBy'), 'default.target');
  const env = (unit.get('Service') ?? []).filter(([k]) => k === 'Environment').flatMap(([, v]) => parseEnvironmentLine(v));
  assert.deepEqual(Object.fromEntries(env), { GATEHOUSE_HOME: '/home/u/.local/share/gate house %h $USER', GATEHOUSE_SUPERVISED: '1' });
  assert.deepEqual(parseExecLine(service('ExecStart') ?? ''), ['/opt/node 24/bin/node', '/home/u/100% $HOME "x"/gatehouse.js', 'run', '--profile', 'work']);
});

test('render -> parse gives the spec back, for the default profile and a nasty one', () => {
  for (const s of [spec(), spec({ profile: 'default' }), spec({ nodePath: '/n/ü 🚀', drainTimeoutMs: 1_000 })]) {
    const parsed = parseSystemdUnit(renderSystemdUnit(s));
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
    assert.deepEqual(normalizeSpec(parsed.spec), normalizeSpec(s));
  }
});

test('no secret and no line break reaches a unit', () => {
  const base = spec();
  assert.throws(() => renderSystemdUnit({ ...base, env: { ...base.env, OPENAI_API_KEY: 'sk-1' } }), /may not go into a service definition/);
  assert.throws(() => renderSystemdUnit({ ...base, entryScript: '/a\nExecStartPre=/bin/evil' }), UnrepresentableError);
  assert.throws(() => renderSystemdUnit({ ...base, drainTimeoutMs: 1_500 }), /whole number of seconds/);
});

test('a foreign or hand-broken unit parses to a reason, not a throw', () => {
  assert.equal(parseSystemdUnit('[Service]\nType=simple\n').ok, false);
  assert.equal(parseSystemdUnit('garbage').ok, false);
  const edited = renderSystemdUnit(spec()).replace(/^ExecStart=.*$/m, 'ExecStart=/bin/node $EVIL');
  assert.equal(parseSystemdUnit(edited).ok, false);
});

const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
const noAnalyze = analyze.error !== undefined ? 'systemd-analyze is not installed' : false;

test('systemd-analyze --user verify accepts every generated unit with empty stderr', { skip: noAnalyze }, () => {
  const root = mkdtempSync(join(tmpdir(), 'gh unit 100% $x-'));
  try {
    const runtime = join(root, 'runtime');
    mkdirSync(runtime, { mode: 0o700 });
    const entry = join(root, 'entry "q" %h $HOME.js');
    writeFileSync(entry, '');
    for (const profile of ['default', 'work.2']) {
      const s = buildServiceSpec({ profile, nodePath: process.execPath, entryScript: entry, home: join(root, 'home $USER %u'), workingDirectory: root, logDir: join(root, 'logs 100%') });
      const file = join(root, systemdUnitName(profile));
      writeFileSync(file, renderSystemdUnit(s));
      const result = spawnSync('systemd-analyze', ['--user', 'verify', file], { encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: runtime }, timeout: 30_000 });
      assert.equal(result.stderr, '', `${profile}: ${result.stderr}`);
      assert.equal(result.status, 0);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
