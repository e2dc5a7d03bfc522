// kernel32 through koffi: the few Win32 calls Node does not expose (process identity, job membership,
// CreateProcessW with the flags Node cannot set, named mutexes). Only ever loaded on win32, and lazily,
// so importing this module costs nothing elsewhere. Checked for real under Wine 8 (scripts/wine/).
import { createRequire } from 'node:module';
import type * as KoffiModule from 'koffi';

// Access rights (winnt.h).
export const SYNCHRONIZE = 0x0010_0000;
export const PROCESS_TERMINATE = 0x0001;
// IsProcessInJob needs this one under Wine 8 (the limited right gives ERROR_ACCESS_DENIED there).
export const PROCESS_QUERY_INFORMATION = 0x0400;
export const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;
export const PROCESS_VM_READ = 0x0010;
// NtQueryInformationProcess classes: the PEB address, and (Windows 8.1+, not Wine 8) the command line.
export const ProcessBasicInformation = 0;
export const ProcessCommandLineInformation = 60;
// WaitForSingleObject results.
export const WAIT_OBJECT_0 = 0x0000_0000;
export const WAIT_ABANDONED = 0x0000_0080;
export const WAIT_TIMEOUT = 0x0000_0102;
// Win32 error codes we act on.
export const ERROR_ACCESS_DENIED = 5;
export const ERROR_ALREADY_EXISTS = 183;
// Process creation flags (processthreadsapi.h). Never DETACHED_PROCESS: a console-less process makes
// every console child it starts flash a window.
export const CREATE_NEW_PROCESS_GROUP = 0x0000_0200;
export const CREATE_UNICODE_ENVIRONMENT = 0x0000_0400;
export const CREATE_BREAKAWAY_FROM_JOB = 0x0100_0000;
export const CREATE_NO_WINDOW = 0x0800_0000;
// STARTUPINFOW.dwFlags and the window state it carries.
export const STARTF_USESHOWWINDOW = 0x0000_0001;
export const STARTF_USESTDHANDLES = 0x0000_0100;
export const SW_HIDE = 0;
// CreateFileW.
export const GENERIC_READ = 0x8000_0000;
export const FILE_APPEND_DATA = 0x0000_0004;
export const FILE_SHARE_READ_WRITE_DELETE = 0x1 | 0x2 | 0x4;
export const OPEN_EXISTING = 3;
export const OPEN_ALWAYS = 4;
export const FILE_ATTRIBUTE_NORMAL = 0x80;
// Toolhelp.
export const TH32CS_SNAPPROCESS = 0x2;
// Handles are declared as intptr_t so that JS sees plain numbers: 0 is NULL, -1 INVALID_HANDLE_VALUE
// (and also GetCurrentProcess()'s pseudo handle).
export const NULL_HANDLE = 0;
export const INVALID_HANDLE_VALUE = -1;
export const CURRENT_PROCESS = -1;
/** FILETIME counts 100 ns ticks since 1601-01-01; this many lie before 1970-01-01. */
const FILETIME_UNIX_EPOCH = 116_444_736_000_000_000n;
const FILETIME_TICKS_PER_MS = 10_000n;

export interface FileTime { dwLowDateTime: number; dwHighDateTime: number }
export interface ProcessInformation { hProcess: number; hThread: number; dwProcessId: number; dwThreadId: number }
export interface ProcessEntry { th32ProcessID: number; th32ParentProcessID: number; szExeFile: string }
export interface StartupInfo { hStdInput: number; hStdOutput: number; hStdError: number }

type Bool = number; // Win32 BOOL: an int, non-zero for true.
export interface Kernel32 {
  GetLastError(): number;
  CloseHandle(h: number): Bool;
  OpenProcess(access: number, inherit: Bool, pid: number): number;
  WaitForSingleObject(h: number, ms: number): number;
  GetProcessTimes(h: number, creation: Partial<FileTime>, exit: object, kernel: object, user: object): Bool;
  TerminateProcess(h: number, code: number): Bool;
  IsProcessInJob(process: number, job: number, result: number[]): Bool;
  CreateMutexW(attributes: null, initialOwner: Bool, name: string): number;
  ReleaseMutex(h: number): Bool;
  CreateFileW(name: string, access: number, share: number, inheritable: boolean, disposition: number): number;
  CreateProcessW(commandLine: string, flags: number, environment: Buffer | null, cwd: string | null,
    stdio: StartupInfo | null, out: Partial<ProcessInformation>): Bool;
  /** All processes at one instant (CreateToolhelp32Snapshot), or null when the snapshot failed. */
  listProcesses(): ProcessEntry[] | null;
  /** ntdll's NtQueryInformationProcess: an NTSTATUS (0 is success), `returned` gets the length needed. */
  NtQueryInformationProcess(h: number, infoClass: number, buffer: Buffer, length: number, returned: number[]): number;
  /** Copy `length` bytes at `address` in another process (PROCESS_VM_READ). */
  ReadProcessMemory(h: number, address: bigint, buffer: Buffer, length: number, read: number[]): Bool;
  /** handler null + ignore 1: this process (and children it creates later) ignores Ctrl+C. */
  SetConsoleCtrlHandler(handler: null, ignore: Bool): Bool;
}

/** A FILETIME as whole milliseconds since the Unix epoch (whole, so that identities compare equal). */
export function fileTimeToMs(ft: FileTime): number {
  const ticks = (BigInt(ft.dwHighDateTime >>> 0) << 32n) | BigInt(ft.dwLowDateTime >>> 0);
  return Number((ticks - FILETIME_UNIX_EPOCH) / FILETIME_TICKS_PER_MS);
}

let loaded: Kernel32 | null = null;

/** The bindings; throws off Windows or when koffi cannot load (the message says which). */
export function kernel32(): Kernel32 {
  if (loaded !== null) return loaded;
  if (process.platform !== 'win32') throw new Error(`kernel32 is only available on win32, not ${process.platform}`);
  // koffi is CommonJS; require keeps the load synchronous and out of every non-Windows import graph.
  const koffi = createRequire(import.meta.url)('koffi') as typeof KoffiModule;
  loaded = bind(koffi);
  return loaded;
}

function bind(koffi: typeof KoffiModule): Kernel32 {
  const lib = koffi.load('kernel32.dll');
  koffi.alias('BOOL', 'int');
  koffi.alias('HANDLE', 'intptr_t');
  koffi.struct('FILETIME', { dwLowDateTime: 'uint32_t', dwHighDateTime: 'uint32_t' });
  koffi.struct('SECURITY_ATTRIBUTES', { nLength: 'uint32_t', lpSecurityDescriptor: 'void *', bInheritHandle: 'BOOL' });
  koffi.struct('STARTUPINFOW', {
    cb: 'uint32_t', lpReserved: 'void *', lpDesktop: 'void *', lpTitle: 'void *',
    dwX: 'uint32_t', dwY: 'uint32_t', dwXSize: 'uint32_t', dwYSize: 'uint32_t',
    dwXCountChars: 'uint32_t', dwYCountChars: 'uint32_t', dwFillAttribute: 'uint32_t', dwFlags: 'uint32_t',
    wShowWindow: 'uint16_t', cbReserved2: 'uint16_t', lpReserved2: 'void *',
    hStdInput: 'HANDLE', hStdOutput: 'HANDLE', hStdError: 'HANDLE',
  });
  koffi.struct('PROCESS_INFORMATION', { hProcess: 'HANDLE', hThread: 'HANDLE', dwProcessId: 'uint32_t', dwThreadId: 'uint32_t' });
  koffi.struct('PROCESSENTRY32W', {
    dwSize: 'uint32_t', cntUsage: 'uint32_t', th32ProcessID: 'uint32_t', th32DefaultHeapID: 'uintptr_t',
    th32ModuleID: 'uint32_t', cntThreads: 'uint32_t', th32ParentProcessID: 'uint32_t', pcPriClassBase: 'int32_t',
    dwFlags: 'uint32_t', szExeFile: koffi.array('char16_t', 260, 'String'),
  });
  const entrySize = koffi.sizeof('PROCESSENTRY32W');
  const startupSize = koffi.sizeof('STARTUPINFOW');

  const f = (decl: string) => lib.func(decl);
  const createFile = f('HANDLE CreateFileW(const char16_t *name, uint32_t access, uint32_t share, SECURITY_ATTRIBUTES *sa, uint32_t disposition, uint32_t flags, HANDLE tmpl)');
  const createProcess = f('BOOL CreateProcessW(const char16_t *app, void *cmd, void *pa, void *ta, BOOL inherit, uint32_t flags, void *env, const char16_t *cwd, STARTUPINFOW *si, _Out_ PROCESS_INFORMATION *pi)');
  const snapshot = f('HANDLE CreateToolhelp32Snapshot(uint32_t flags, uint32_t pid)');
  const first = f('BOOL Process32FirstW(HANDLE snap, _Inout_ PROCESSENTRY32W *entry)');
  const next = f('BOOL Process32NextW(HANDLE snap, _Inout_ PROCESSENTRY32W *entry)');
  const closeHandle = f('BOOL CloseHandle(HANDLE h)');
  const ntdll = koffi.load('ntdll.dll');

  return {
    GetLastError: f('uint32_t GetLastError()'),
    CloseHandle: closeHandle,
    OpenProcess: f('HANDLE OpenProcess(uint32_t access, BOOL inherit, uint32_t pid)'),
    WaitForSingleObject: f('uint32_t WaitForSingleObject(HANDLE h, uint32_t ms)'),
    GetProcessTimes: f('BOOL GetProcessTimes(HANDLE h, _Out_ FILETIME *c, _Out_ FILETIME *e, _Out_ FILETIME *k, _Out_ FILETIME *u)'),
    TerminateProcess: f('BOOL TerminateProcess(HANDLE h, uint32_t code)'),
    IsProcessInJob: f('BOOL IsProcessInJob(HANDLE process, HANDLE job, _Out_ BOOL *result)'),
    NtQueryInformationProcess: ntdll.func('int32_t NtQueryInformationProcess(HANDLE h, int cls, _Out_ uint8_t *buf, uint32_t len, _Out_ uint32_t *ret)'),
    ReadProcessMemory: f('BOOL ReadProcessMemory(HANDLE h, uint64_t address, _Out_ uint8_t *buf, size_t len, _Out_ size_t *read)'),
    CreateMutexW: f('HANDLE CreateMutexW(void *sa, BOOL owner, const char16_t *name)'),
    ReleaseMutex: f('BOOL ReleaseMutex(HANDLE h)'),
    SetConsoleCtrlHandler: f('BOOL SetConsoleCtrlHandler(void *handler, BOOL add)'),
    CreateFileW(name, access, share, inheritable, disposition) {
      const sa = { nLength: koffi.sizeof('SECURITY_ATTRIBUTES'), lpSecurityDescriptor: null, bInheritHandle: inheritable ? 1 : 0 };
      return createFile(name, access, share, sa, disposition, FILE_ATTRIBUTE_NORMAL, NULL_HANDLE) as number;
    },
    CreateProcessW(commandLine, flags, environment, cwd, stdio, out) {
      // CreateProcessW may write into the command line, so it gets a private, NUL-terminated copy.
      const cmd = Buffer.from(`${commandLine}\0`, 'utf16le');
      const si = {
        cb: startupSize, dwFlags: STARTF_USESHOWWINDOW | (stdio === null ? 0 : STARTF_USESTDHANDLES), wShowWindow: SW_HIDE,
        hStdInput: stdio?.hStdInput ?? NULL_HANDLE, hStdOutput: stdio?.hStdOutput ?? NULL_HANDLE, hStdError: stdio?.hStdError ?? NULL_HANDLE,
      };
      // Handles are inherited only when we pass std handles, and those were made inheritable on purpose.
      return createProcess(null, cmd, null, null, stdio === null ? 0 : 1, flags, environment, cwd, si, out) as number;
    },
    listProcesses() {
      const snap = snapshot(TH32CS_SNAPPROCESS, 0) as number;
      if (snap === INVALID_HANDLE_VALUE) return null;
      try {
        const rows: ProcessEntry[] = [];
        const entry: Record<string, unknown> = { dwSize: entrySize };
        for (let ok = first(snap, entry); ok !== 0; ok = next(snap, entry)) {
          rows.push({ th32ProcessID: entry.th32ProcessID as number, th32ParentProcessID: entry.th32ParentProcessID as number, szExeFile: String(entry.szExeFile) });
          entry.dwSize = entrySize;
        }
        return rows;
      } finally {
        closeHandle(snap);
      }
    },
  } as Kernel32;
}
