// Observes, under Wine (or real Windows), each kernel32 call the win32 platform layer relies on and
// prints what happened. Run after a build: scripts/wine/node.sh scripts/wine/probe-kernel32.mjs
// Exit 0 only if every observation matched what platform/win32 assumes.
import { spawnSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const k = await import(`file://${join(root, 'dist/src/platform/win32-kernel32.js').replace(/\\/g, '/')}`);
const K = k.kernel32();
let failures = 0;
const check = (what, ok, detail) => { if (!ok) failures++; console.log(`${ok ? 'OK  ' : 'FAIL'} ${what}: ${detail}`); };

const childArgs = (code) => [process.execPath, ['-e', code], { stdio: 'ignore', windowsHide: true }];
check('koffi loaded', true, `from ${join(root, 'node_modules/koffi')}`);
check('GetCurrentProcessId', K.GetCurrentProcessId() === process.pid, `${K.GetCurrentProcessId()} vs process.pid ${process.pid}`);

// Liveness and start time of a real child.
const child = spawn(...childArgs('setTimeout(() => {}, 30000)'));
await new Promise((r) => child.once('spawn', r));
const h = K.OpenProcess(k.SYNCHRONIZE | k.PROCESS_QUERY_LIMITED_INFORMATION | k.PROCESS_QUERY_INFORMATION, 0, child.pid);
check('OpenProcess', h !== 0, `handle ${h}, GetLastError ${K.GetLastError()}`);
check('WaitForSingleObject(alive, 0)', K.WaitForSingleObject(h, 0) === k.WAIT_TIMEOUT, `0x${K.WaitForSingleObject(h, 0).toString(16)}`);
const ct = {};
const okTimes = K.GetProcessTimes(h, ct, {}, {}, {});
const startMs = k.fileTimeToMs(ct);
check('GetProcessTimes', okTimes !== 0 && Math.abs(startMs - Date.now()) < 60_000, `creation ${new Date(startMs).toISOString()} (${startMs})`);
const inJob = [0];
const okSelf = K.IsProcessInJob(k.CURRENT_PROCESS, 0, inJob);
const childInJob = [0];
const okChild = K.IsProcessInJob(h, 0, childInJob);
// libuv puts every non-detached child in its kill-on-close job.
check('IsProcessInJob', okSelf !== 0 && okChild !== 0 && childInJob[0] === 1, `self ${inJob[0]}, node-spawned child ${childInJob[0]}`);
child.kill();
const waited = K.WaitForSingleObject(h, 10_000);
check('WaitForSingleObject(killed)', waited === k.WAIT_OBJECT_0, `0x${waited.toString(16)}`);
K.CloseHandle(h);
// Node still holds its handle to the exited child until its exit event: OpenProcess may succeed on an
// exited process, and only the wait tells that it is gone.
const gone = K.OpenProcess(k.SYNCHRONIZE, 0, child.pid);
check('OpenProcess(exited pid)', gone === 0 || K.WaitForSingleObject(gone, 0) === k.WAIT_OBJECT_0, `handle ${gone} (${gone === 0 ? `GetLastError ${K.GetLastError()}` : `wait 0x${K.WaitForSingleObject(gone, 0).toString(16)}`})`);
if (gone !== 0) K.CloseHandle(gone);

// Named mutex across two processes.
for (const name of [`Local\\gatehouse-probe-${process.pid}`, `Global\\gatehouse-probe-${process.pid}`]) {
  const m = K.CreateMutexW(null, 1, name);
  const first = K.GetLastError();
  const other = spawnSync(process.execPath, ['-e', `
    const k = await import(${JSON.stringify(`file://${join(root, 'dist/src/platform/win32-kernel32.js').replace(/\\/g, '/')}`)});
    const K = k.kernel32(); const h = K.CreateMutexW(null, 1, ${JSON.stringify(name)}); const e = K.GetLastError();
    console.log(JSON.stringify({ h, e, wait: K.WaitForSingleObject(h, 0) }));`, '--input-type=module'], { encoding: 'utf8', timeout: 30_000 });
  const seen = JSON.parse(other.stdout.trim() || '{}');
  check(`CreateMutexW ${name}`, m !== 0 && first !== k.ERROR_ALREADY_EXISTS && seen.e === k.ERROR_ALREADY_EXISTS && seen.wait === k.WAIT_TIMEOUT,
    `owner handle ${m} (err ${first}); second process: err ${seen.e}, wait 0x${(seen.wait ?? -1).toString(16)} ${other.stderr.trim().slice(0, 200)}`);
  K.ReleaseMutex(m); K.CloseHandle(m);
}

// Jobs: create one, set limits, put a detached child in it (a non-detached one is already in libuv's
// job, and Wine 8 has no nested jobs: AssignProcessToJobObject answers ERROR_ACCESS_DENIED), close it.
for (const flags of [k.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE, k.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | k.JOB_OBJECT_LIMIT_BREAKAWAY_OK]) {
  const job = K.CreateJobObjectW(null, null);
  const set = K.SetJobLimits(job, { limitFlags: flags });
  const c = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore', detached: true });
  await new Promise((r) => c.once('spawn', r));
  const ch = K.OpenProcess(k.SYNCHRONIZE | k.PROCESS_QUERY_LIMITED_INFORMATION | k.PROCESS_SET_QUOTA | k.PROCESS_TERMINATE | k.PROCESS_QUERY_INFORMATION, 0, c.pid);
  const assigned = K.AssignProcessToJobObject(job, ch);
  const assignErr = K.GetLastError();
  const r = [0];
  K.IsProcessInJob(ch, job, r);
  K.CloseHandle(job);
  const w = K.WaitForSingleObject(ch, 10_000);
  check(`job flags 0x${flags.toString(16)}`, job !== 0 && set && assigned !== 0 && r[0] !== 0 && w === k.WAIT_OBJECT_0,
    `job ${job}, SetInformationJobObject ${set}, Assign ${assigned} (err ${assignErr}), IsProcessInJob ${r[0]}, after CloseHandle(job): wait 0x${w.toString(16)}`);
  K.CloseHandle(ch);
}
console.log(failures === 0 ? 'probe: all observations as expected' : `probe: ${failures} unexpected`);
process.exitCode = failures === 0 ? 0 : 1;
