// Where each OS's control endpoint is (platform/control-endpoint.ts): pure names, so all three
// OSes are checked here, and the names a running gateway of an earlier version listens on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { abstractEndpoint, controlEndpointFor, fileEndpoint, pipeEndpoint } from '../../src/platform/control-endpoint.js';
import { linux, posixPs } from '../../src/platform/posix.js';

const PROFILE = '/home/u/.local/share/gatehouse/profiles/default';

test('abstractEndpoint: a per-profile name in the abstract namespace, no file', () => {
  const a = abstractEndpoint('/home/u/.local/share/gatehouse/profiles/default');
  assert.match(a.address, /^\0gatehouse-[0-9a-f]{24}$/);
  assert.equal(a.file, null);
  assert.equal(a.needsOwnershipCheck, false);
  assert.deepEqual(abstractEndpoint('/home/u/.local/share/gatehouse/profiles/default'), a, 'deterministic');
  assert.notEqual(abstractEndpoint('/home/u/.local/share/gatehouse/profiles/other').address, a.address);
});

test('fileEndpoint: control.sock in the profile dir when short, a hashed temp file when too long', () => {
  const short = fileEndpoint('/tmp/gh/profiles/default');
  assert.deepEqual(short, { address: '/tmp/gh/profiles/default/control.sock', needsOwnershipCheck: true, file: '/tmp/gh/profiles/default/control.sock' });

  const longDir = `/tmp/${'d'.repeat(120)}/profiles/default`;
  const long = fileEndpoint(longDir);
  assert.equal(long.address, long.file);
  assert.equal(long.needsOwnershipCheck, true);
  assert.match(long.address, /gatehouse-[0-9a-f]{24}\.sock$/);
  assert.equal(long.address.startsWith(join(tmpdir(), 'gatehouse-')), true);
  assert.ok(Buffer.byteLength(long.address) <= 100);
  assert.equal(fileEndpoint(longDir).address, long.address, 'deterministic');
  assert.notEqual(fileEndpoint(`${longDir}2`).address, long.address);

  // The limit is in bytes: 63 characters here, but 108 bytes.
  const wideDir = `/tmp/${'é'.repeat(45)}`;
  assert.ok(join(wideDir, 'control.sock').length < 100);
  const wide = fileEndpoint(wideDir);
  assert.match(wide.address, /gatehouse-[0-9a-f]{24}\.sock$/);
});

test('controlEndpointFor: the abstract socket on Linux, a socket file on other POSIX systems, a named pipe on Windows', () => {
  assert.deepEqual(controlEndpointFor(PROFILE, 'linux'), abstractEndpoint(PROFILE));
  assert.deepEqual(controlEndpointFor(PROFILE, 'darwin'), fileEndpoint(PROFILE));
  assert.deepEqual(controlEndpointFor(PROFILE, 'freebsd'), fileEndpoint(PROFILE));
  const pipe = controlEndpointFor('C:\\Users\\u\\AppData\\Local\\gatehouse\\profiles\\default', 'win32');
  assert.deepEqual(pipe, pipeEndpoint('C:\\Users\\u\\AppData\\Local\\gatehouse\\profiles\\default'));
  assert.match(pipe.address, /^\\\\\.\\pipe\\gatehouse-[0-9a-f]{24}$/);
  assert.equal(pipe.needsOwnershipCheck, true);
  assert.equal(pipe.file, null);
  // The platforms' own endpoint is the same name: what the monitor listens on is what the CLI asks.
  assert.deepEqual(linux.controlEndpoint(PROFILE), controlEndpointFor(PROFILE, 'linux'));
  assert.deepEqual(posixPs.controlEndpoint(PROFILE), controlEndpointFor(PROFILE, 'darwin'));
});

test('the names are those earlier versions listen on: sha256 of the user and the profile path', () => {
  // A gateway started before an upgrade must be found by the new CLI (status, stop), so the names never change.
  const posix = createHash('sha256').update(`${userInfo().uid}\0${PROFILE}`).digest('hex').slice(0, 24);
  assert.equal(abstractEndpoint(PROFILE).address, `\0gatehouse-${posix}`);
  const longDir = `/tmp/${'d'.repeat(120)}/profiles/default`;
  const longHash = createHash('sha256').update(`${userInfo().uid}\0${longDir}`).digest('hex').slice(0, 24);
  assert.equal(fileEndpoint(longDir).address, join(tmpdir(), `gatehouse-${longHash}.sock`));
  const dir = 'C:\\Users\\U\\Profile';
  const user = `${process.env.USERDOMAIN ?? ''}\\${userInfo().username}`.toLowerCase();
  const windows = createHash('sha256').update(`${user}\0${resolve(dir).toLowerCase()}`).digest('hex').slice(0, 24);
  assert.equal(pipeEndpoint(dir).address, `\\\\.\\pipe\\gatehouse-${windows}`);
  // Case-folded, as Windows paths are: two spellings of one directory are one gateway.
  assert.equal(pipeEndpoint(dir.toLowerCase()).address, pipeEndpoint(dir).address);
});
