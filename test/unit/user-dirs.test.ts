// The per-user data and cache directories: the ones env-paths gave earlier versions (a home made
// then must still be found), the XDG settings honoured, an empty one ignored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { userDirs } from '../../src/platform/user-dirs.js';

test('linux: ~/.local/share and ~/.cache, or $XDG_DATA_HOME and $XDG_CACHE_HOME when set and not empty', () => {
  assert.deepEqual(userDirs('gatehouse', {}, 'linux', '/home/ana'), { data: '/home/ana/.local/share/gatehouse', cache: '/home/ana/.cache/gatehouse' });
  assert.deepEqual(userDirs('gatehouse', { XDG_DATA_HOME: '/d', XDG_CACHE_HOME: '/c' }, 'linux', '/home/ana'), { data: '/d/gatehouse', cache: '/c/gatehouse' });
  assert.deepEqual(userDirs('gatehouse', { XDG_DATA_HOME: '', XDG_CACHE_HOME: '' }, 'linux', '/home/ana'), { data: '/home/ana/.local/share/gatehouse', cache: '/home/ana/.cache/gatehouse' });
  assert.equal(userDirs('gatehouse', {}, 'freebsd', '/home/ana').data, '/home/ana/.local/share/gatehouse', 'other Unixes as Linux');
});

test('macOS: ~/Library/Application Support and ~/Library/Caches, whatever XDG says', () => {
  assert.deepEqual(userDirs('gatehouse', { XDG_DATA_HOME: '/d' }, 'darwin', '/Users/ana'), {
    data: '/Users/ana/Library/Application Support/gatehouse',
    cache: '/Users/ana/Library/Caches/gatehouse',
  });
});

test('windows: %LOCALAPPDATA%\\gatehouse\\Data and \\Cache, with AppData\\Local under the profile when it is unset', () => {
  assert.deepEqual(userDirs('gatehouse', { LOCALAPPDATA: 'C:\\Users\\ana\\AppData\\Local' }, 'win32', 'C:\\Users\\ana'), {
    data: 'C:\\Users\\ana\\AppData\\Local\\gatehouse\\Data',
    cache: 'C:\\Users\\ana\\AppData\\Local\\gatehouse\\Cache',
  });
  assert.deepEqual(userDirs('gatehouse', {}, 'win32', 'D:\\Profiles\\ana'), {
    data: 'D:\\Profiles\\ana\\AppData\\Local\\gatehouse\\Data',
    cache: 'D:\\Profiles\\ana\\AppData\\Local\\gatehouse\\Cache',
  });
});
