// The kernel32 calls only the Windows tests need: a job object to start a fixture inside (as a
// terminal, a desktop app or a CI step holds its children), console control events sent the way a
// user's keypress is, and a process's exit code. Bound here, not in src/platform/win32-kernel32.ts,
// so the product binds only what it calls. Loaded lazily, on win32 only, like the product's.
import { createRequire } from 'node:module';
import type * as KoffiModule from 'koffi';

// Job objects (winnt.h).
const JobObjectExtendedLimitInformation = 9;
export const JOB_OBJECT_LIMIT_BREAKAWAY_OK = 0x0000_0800;
export const JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x0000_2000;
// Console control events (wincon.h).
export const CTRL_C_EVENT = 0;
export const CTRL_BREAK_EVENT = 1;

type Bool = number; // Win32 BOOL: an int, non-zero for true.
export interface TestKernel32 {
  GetExitCodeProcess(h: number, code: number[]): Bool;
  CreateJobObjectW(attributes: null, name: string | null): number;
  SetJobLimits(job: number, limits: { limitFlags: number }): boolean;
  AssignProcessToJobObject(job: number, process: number): Bool;
  GenerateConsoleCtrlEvent(event: number, processGroup: number): Bool;
  AttachConsole(pid: number): Bool;
  FreeConsole(): Bool;
}

let loaded: TestKernel32 | null = null;

export function testKernel32(): TestKernel32 {
  if (loaded !== null) return loaded;
  if (process.platform !== 'win32') throw new Error(`kernel32 is only available on win32, not ${process.platform}`);
  loaded = bind(createRequire(import.meta.url)('koffi') as typeof KoffiModule);
  return loaded;
}

function bind(koffi: typeof KoffiModule): TestKernel32 {
  const lib = koffi.load('kernel32.dll');
  // Handles are intptr_t, as in the product's bindings: JS sees plain numbers.
  const basic = koffi.struct('GH_TEST_JOBOBJECT_BASIC_LIMIT_INFORMATION', {
    PerProcessUserTimeLimit: 'int64_t', PerJobUserTimeLimit: 'int64_t', LimitFlags: 'uint32_t',
    MinimumWorkingSetSize: 'size_t', MaximumWorkingSetSize: 'size_t', ActiveProcessLimit: 'uint32_t',
    Affinity: 'uintptr_t', PriorityClass: 'uint32_t', SchedulingClass: 'uint32_t',
  });
  const io = koffi.struct('GH_TEST_IO_COUNTERS', {
    ReadOperationCount: 'uint64_t', WriteOperationCount: 'uint64_t', OtherOperationCount: 'uint64_t',
    ReadTransferCount: 'uint64_t', WriteTransferCount: 'uint64_t', OtherTransferCount: 'uint64_t',
  });
  koffi.struct('GH_TEST_JOBOBJECT_EXTENDED_LIMIT_INFORMATION', {
    BasicLimitInformation: basic, IoInfo: io, ProcessMemoryLimit: 'size_t', JobMemoryLimit: 'size_t',
    PeakProcessMemoryUsed: 'size_t', PeakJobMemoryUsed: 'size_t',
  });
  const extendedSize = koffi.sizeof('GH_TEST_JOBOBJECT_EXTENDED_LIMIT_INFORMATION');
  const f = (decl: string) => lib.func(decl);
  const setInformation = f('int SetInformationJobObject(intptr_t job, int cls, GH_TEST_JOBOBJECT_EXTENDED_LIMIT_INFORMATION *info, uint32_t len)');
  return {
    GetExitCodeProcess: f('int GetExitCodeProcess(intptr_t h, _Out_ uint32_t *code)'),
    CreateJobObjectW: f('intptr_t CreateJobObjectW(void *sa, const char16_t *name)'),
    SetJobLimits(job, limits) {
      const info = { BasicLimitInformation: { LimitFlags: limits.limitFlags } };
      return setInformation(job, JobObjectExtendedLimitInformation, info, extendedSize) !== 0;
    },
    AssignProcessToJobObject: f('int AssignProcessToJobObject(intptr_t job, intptr_t process)'),
    GenerateConsoleCtrlEvent: f('int GenerateConsoleCtrlEvent(uint32_t event, uint32_t group)'),
    AttachConsole: f('int AttachConsole(uint32_t pid)'),
    FreeConsole: f('int FreeConsole()'),
  } as TestKernel32;
}
