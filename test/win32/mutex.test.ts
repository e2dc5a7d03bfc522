// The single-instance lock on Windows: a named mutex, held across processes, freed by the OS when its
// owner dies. Real processes (node.exe under Wine in CI).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { acquireNamedMutex, profileMutexName } from '../../src/platform/win32.js';
import * as k32 from '../../src/platform/win32-kernel32.js';
import { KERNEL32_MODULE, WIN32_MODULE, nodeSnippet, readLine, skipUnlessWin32, tempDir, waitForExit } from './win32-helpers.js';

const STEP_TIMEOUT_MS = 30_000;
const HOLD_LIMIT_MS = 60_000;

/** Another process tries the lock once and reports `acquired` or `busy`, plus CreateMutexW's raw error. */
async function tryFromAnotherProcess(name: string): Promise<{ outcome: string; createError: number }> {
  const child = nodeSnippet(`
    const { acquireNamedMutex } = await import(${JSON.stringify(WIN32_MODULE)});
    const k = (await import(${JSON.stringify(KERNEL32_MODULE)})).kernel32();
    const raw = k.CreateMutexW(null, 0, ${JSON.stringify(name)});
    const createError = k.GetLastError();
    k.CloseHandle(raw);
    const lock = acquireNamedMutex(${JSON.stringify(name)});
    console.log('result ' + JSON.stringify({ outcome: lock === null ? 'busy' : 'acquired', createError }));
    lock?.release();`);
  const line = await readLine(child, /^result /, STEP_TIMEOUT_MS);
  assert.equal(await waitForExit(child, STEP_TIMEOUT_MS), 0);
  return JSON.parse(line.slice('result '.length)) as { outcome: string; createError: number };
}

test('the profile mutex is held against another process until released', { skip: skipUnlessWin32, timeout: 90_000 }, async () => {
  const name = profileMutexName(tempDir('mutex'));
  assert.match(name, /^Global\\gatehouse-[0-9a-f]{24}$/);
  const lock = acquireNamedMutex(name) ?? assert.fail('a fresh mutex must be ours');
  try {
    const busy = await tryFromAnotherProcess(name);
    assert.equal(busy.outcome, 'busy');
    assert.equal(busy.createError, k32.ERROR_ALREADY_EXISTS, 'CreateMutexW reports ERROR_ALREADY_EXISTS (183) while the owner lives');
  } finally {
    lock.release();
  }
  lock.release(); // idempotent
  assert.equal((await tryFromAnotherProcess(name)).outcome, 'acquired', 'released: another process gets it');
});

test('the OS frees the mutex when its owner is killed, and the next process takes it', { skip: skipUnlessWin32, timeout: 90_000 }, async () => {
  const name = profileMutexName(tempDir('mutex-crash'));
  const holder = nodeSnippet(`
    const { acquireNamedMutex } = await import(${JSON.stringify(WIN32_MODULE)});
    const lock = acquireNamedMutex(${JSON.stringify(name)});
    console.log(lock === null ? 'busy' : 'held');
    setTimeout(() => {}, ${HOLD_LIMIT_MS});`);
  try {
    assert.equal(await readLine(holder, /^(held|busy)$/, STEP_TIMEOUT_MS), 'held');
    assert.equal(acquireNamedMutex(name), null, 'a live owner in another process keeps it');
  } finally {
    holder.kill(); // TerminateProcess: no release, no cleanup code runs
  }
  await waitForExit(holder, STEP_TIMEOUT_MS);
  // An abandoned mutex (WAIT_ABANDONED) or a fresh one: either way ours now.
  const lock = acquireNamedMutex(name) ?? assert.fail('the dead owner still holds the mutex');
  lock.release();
});
