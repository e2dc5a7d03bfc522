// The browser opener: the platform's own (xdg-open here), found on PATH and started detached with
// the URL as its one argument; without one, or without a graphical session, it says why and never
// throws. A real script stands in for xdg-open and records how it was called.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openerFor, openUrl } from '../../src/platform/open-url.js';
import { buildWindowsCommandLine } from '../../src/platform/win-cmdline.js';
import { isLinux, tempDir, waitFor } from './helpers.js';

const URL = 'http://127.0.0.1:8790/dashboard/#login=AbC_d-9';

test('xdg-open on PATH gets the URL, detached', { skip: !isLinux && 'the Linux opener' }, async (t) => {
  const dir = tempDir(t);
  const record = join(dir, 'called');
  writeFileSync(join(dir, 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$#" "$1" > '${record}'\n`);
  chmodSync(join(dir, 'xdg-open'), 0o755);
  const outcome = openUrl(URL, { PATH: dir, DISPLAY: ':0' }, 'linux');
  assert.deepEqual(outcome, { opened: true, via: 'xdg-open' });
  await waitFor('the opener ran', () => existsSync(record) && readFileSync(record, 'utf8').includes('\n'));
  assert.deepEqual(readFileSync(record, 'utf8').trim().split('\n'), ['1', URL]);
});

test('no opener, no display, or a URL an opener could misread: not opened, with the reason', (t) => {
  const dir = tempDir(t);
  const none = openUrl(URL, { PATH: dir, DISPLAY: ':0' }, 'linux');
  assert.equal(none.opened, false);
  if (!none.opened) assert.match(none.why, /no xdg-open on PATH/);
  const headless = openUrl(URL, { PATH: dir }, 'linux');
  if (headless.opened) assert.fail('opened without a display');
  assert.match(headless.why, /no graphical session/);
  const odd = openUrl('http://127.0.0.1:1/dashboard/#login=a&calc', { PATH: dir, DISPLAY: ':0' }, 'linux');
  if (odd.opened) assert.fail('opened an odd URL');
  assert.match(odd.why, /characters/);
});

test('the opener per OS: open on macOS; on Windows cmd.exe /c start with an empty title, one command line', () => {
  assert.deepEqual(openerFor('darwin', {}).args(URL), [URL]);
  assert.equal(openerFor('darwin', {}).command, 'open');
  assert.equal(openerFor('linux', {}).command, 'xdg-open');
  const win = openerFor('win32', { SystemRoot: 'C:\\Windows' });
  assert.equal(buildWindowsCommandLine([win.command, ...win.args(URL)]), `"C:\\Windows\\System32\\cmd.exe" /d /c start "" ${URL}`);
  assert.equal(openerFor('win32', { ComSpec: 'C:\\Program Files\\x\\cmd.exe' }).command, 'C:\\Program Files\\x\\cmd.exe');
});
