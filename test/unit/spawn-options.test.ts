// The one door's options per kind of child and OS (pure: both OSes are checked on every OS), and the
// cmd.exe command line for .cmd shims, checked against a model of cmd's two parses and the MSVC
// argv rules (test/win32/cmd-shim.test.ts runs it through a real cmd.exe under Wine).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnOptionsFor, type SpawnKind } from '../../src/platform/spawn.js';
import { CmdShimArgumentError, cmdShimCommandLine } from '../../src/platform/cmd-shim.js';
import { parseWindowsCommandLine } from '../../src/platform/win-cmdline.js';

const KINDS: readonly SpawnKind[] = ['bounded', 'program', 'worker', 'detached', 'cmd-shim'];

test('on Windows every child hides its window: windowsHide, no inherited stdio slot, never detached or shell', () => {
  for (const kind of KINDS) {
    if (kind === 'detached') {
      assert.throws(() => spawnOptionsFor(kind, 'win32'), /CreateProcessW/, 'detached processes are created through kernel32, not child_process');
      continue;
    }
    const options = spawnOptionsFor(kind, 'win32');
    assert.equal(options.windowsHide, true, kind);
    assert.equal(options.detached, false, `${kind}: detached means DETACHED_PROCESS, whose console children flash`);
    assert.equal(options.shell, false, kind);
    // libuv adds CREATE_NO_WINDOW only when no slot is inherited ('inherit' or a descriptor).
    for (const slot of options.stdio) assert.ok(slot === 'pipe' || slot === 'ignore' || slot === 'ipc', `${kind}: stdio slot ${String(slot)} is inherited`);
  }
  assert.deepEqual(spawnOptionsFor('worker', 'win32').stdio, ['ignore', 'pipe', 'pipe', 'ipc'], 'the worker output is relayed through pipes');
  assert.equal(spawnOptionsFor('cmd-shim', 'win32').windowsVerbatimArguments, true, 'the cmd.exe line is passed as built');
  assert.equal(spawnOptionsFor('program', 'win32').windowsVerbatimArguments, false);
});

test('on Linux: own group for programs, piped output for the worker (the monitor writes it to the log), setsid for detached', () => {
  for (const kind of ['bounded', 'program', 'worker', 'detached'] as const) {
    const options = spawnOptionsFor(kind, 'linux');
    assert.equal(options.shell, false, kind);
    assert.equal(options.windowsHide, true, kind);
  }
  assert.equal(spawnOptionsFor('bounded', 'linux').detached, false);
  assert.deepEqual(spawnOptionsFor('bounded', 'linux').stdio, ['pipe', 'pipe', 'pipe']);
  assert.equal(spawnOptionsFor('program', 'linux').detached, true, 'agent programs get their own process group on POSIX');
  assert.deepEqual(spawnOptionsFor('worker', 'linux').stdio, ['ignore', 'pipe', 'pipe', 'ipc'], 'the monitor reads the worker\'s output into the log it rotates');
  assert.equal(spawnOptionsFor('worker', 'linux').detached, false, 'the worker dies with the monitor');
  assert.equal(spawnOptionsFor('detached', 'linux').detached, true, 'a new session');
  assert.deepEqual(spawnOptionsFor('detached', 'linux').stdio, ['ignore', 'log', 'log']);
  assert.throws(() => spawnOptionsFor('cmd-shim', 'linux'), /Windows only/);
  assert.deepEqual(spawnOptionsFor('program', 'darwin'), spawnOptionsFor('program', 'linux'));
});

/** One cmd.exe parse of a line for ^ and quotes: outside quotes ^x gives x; a quote toggles. */
function cmdCaretPass(line: string): string {
  let out = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (ch === '"') { quoted = !quoted; out += ch; } else if (!quoted && ch === '^') { out += line[i + 1] ?? ''; i++; } else {
      // An operator outside quotes would end the command or redirect it: the escaping must prevent that.
      if (!quoted && /[&|<>]/.test(ch)) throw new Error(`unescaped ${ch} reaches cmd at ${i} in ${line}`);
      out += ch;
    }
  }
  return out;
}

test('cmdShimCommandLine survives both cmd parses and gives node the exact arguments', () => {
  const shim = 'C:\\Program Files (x86)\\tools & co\\npm.cmd';
  const nasty = ['plain', 'with space', '', 'a&b', 'a^b', '^', 'q"uote', '"', '""', 'a|b', 'c>d', 'e<f', '(x)', '!x!', 'tr\\', 'a\\"b', 'a,b;c=d', 'ü é', '&& calc.exe', '" & calc & "'];
  const line = cmdShimCommandLine(shim, nasty);
  assert.ok(line.startsWith(`"${shim}" `), 'the shim path is quoted once, as is');
  // The /c line, then the shim's %* re-parsed; the shim itself runs `node script %*`.
  const afterC = cmdCaretPass(line);
  const tail = afterC.slice(`"${shim}" `.length);
  const afterShim = cmdCaretPass(tail);
  assert.deepEqual(parseWindowsCommandLine(`"node.exe" ${afterShim}`).slice(1), nasty);
  const escapedOnce = cmdCaretPass(line.replaceAll('^^^&', '^&')).slice(`"${shim}" `.length);
  assert.throws(() => cmdCaretPass(escapedOnce), /unescaped &/, 'the model catches an escape missing for the second parse');
});

test('cmdShimCommandLine refuses what cmd.exe cannot carry, before anything runs', () => {
  const shim = 'C:\\x\\npm.cmd';
  for (const bad of ['a\nb', 'a\rb', 'a\0b', '%PATH%', '100%']) {
    assert.throws(() => cmdShimCommandLine(shim, ['ok', bad]), CmdShimArgumentError, JSON.stringify(bad));
  }
  assert.throws(() => cmdShimCommandLine('C:\\x\\npm.exe', []), /not a \.cmd/);
  assert.throws(() => cmdShimCommandLine('C:\\100%\\npm.cmd', []), CmdShimArgumentError);
  assert.throws(() => cmdShimCommandLine('C:\\x\\n"pm.cmd', []), CmdShimArgumentError);
  assert.throws(() => cmdShimCommandLine(shim, ['x'.repeat(9000)]), /8191/);
  assert.equal(cmdShimCommandLine('C:\\x\\NPM.CMD', ['install']), '"C:\\x\\NPM.CMD" install');
});
