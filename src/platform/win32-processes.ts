// Every process with its command line on Windows, for discovery (platform/discovery.ts). Three ways,
// each bounded, the first that answers wins:
// 1. native: Toolhelp for pids and parents; each command line read from the process's PEB
//    (NtQueryInformationProcess(ProcessBasicInformation) + ReadProcessMemory), which also gives its
//    environment, and so its GATEHOUSE_HOME; where only PROCESS_QUERY_LIMITED_INFORMATION is granted,
//    NtQueryInformationProcess(ProcessCommandLineInformation = 60, Windows 8.1+), command line only.
//    Checked under Wine 8: class 60 answers STATUS_INVALID_INFO_CLASS, the PEB read works.
// 2. `wmic process get ProcessId,ParentProcessId,CommandLine /format:list`
// 3. PowerShell `Get-CimInstance Win32_Process`
// wmic and PowerShell give no environment: a process found through them is claimed only when its
// command line carries the home (`run --home DIR`, as `start` passes it). Exit 0 with empty output,
// or with no command line at all (Wine's wmic), is no answer.
import { join } from 'node:path';
import type { ProcessList, ProcessRow } from './discovery.js';
import { runBounded, type RunResult } from './spawn.js';
import {
  NULL_HANDLE, PROCESS_QUERY_INFORMATION, PROCESS_QUERY_LIMITED_INFORMATION, PROCESS_VM_READ, ProcessBasicInformation,
  ProcessCommandLineInformation, kernel32,
} from './win32-kernel32.js';
import { parseWindowsCommandLine } from './win-cmdline.js';

const WMIC_TIMEOUT_MS = 10_000;
const POWERSHELL_TIMEOUT_MS = 15_000;
const HOME_VAR = 'GATEHOUSE_HOME';
const STATUS_SUCCESS = 0;
// x64 layouts (node.exe is x64): PROCESS_BASIC_INFORMATION.PebBaseAddress, PEB.ProcessParameters,
// RTL_USER_PROCESS_PARAMETERS.CommandLine (UNICODE_STRING: Length, MaximumLength, pad, Buffer),
// .Environment and .EnvironmentSize (Vista+).
const PBI_SIZE = 48;
const PBI_PEB = 8;
const PEB_PARAMETERS = 0x20;
const PARAMS_SIZE = 0x400;
const PARAMS_COMMAND_LINE = 0x70;
const PARAMS_ENVIRONMENT = 0x80;
const PARAMS_ENVIRONMENT_SIZE = 0x3f0;
const MAX_ENVIRONMENT_BYTES = 1024 * 1024;
const UNICODE_STRING_SIZE = 16;

/** What one listing source saw of a process, before its command line is split. */
export interface RawProcess {
  readonly pid: number;
  readonly ppid: number;
  readonly commandLine: string;
  /** GATEHOUSE_HOME: null when unset, undefined when the environment was not read. */
  readonly gatehouseHome?: string | null | undefined;
}

/** Split each command line as node.exe does; a line that cannot be parsed is left out. */
export function toRows(raw: readonly RawProcess[]): ProcessRow[] {
  return raw.flatMap((p) => {
    try {
      return [{ pid: p.pid, ppid: p.ppid, argv: parseWindowsCommandLine(p.commandLine), gatehouseHome: p.gatehouseHome }];
    } catch {
      return [];
    }
  });
}

/** `wmic ... /format:list`: blocks of `Key=Value` lines (wmic ends them with \r\r\n), a blank line between. */
export function parseWmicList(text: string): RawProcess[] {
  const found: RawProcess[] = [];
  for (const block of text.replace(/\r/g, '').split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of block.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) fields.set(line.slice(0, eq).trim(), line.slice(eq + 1));
    }
    const pid = Number(fields.get('ProcessId'));
    const ppid = Number(fields.get('ParentProcessId') ?? 0);
    const commandLine = fields.get('CommandLine')?.trim() ?? '';
    if (Number.isInteger(pid) && pid > 0 && commandLine !== '') found.push({ pid, ppid: Number.isInteger(ppid) ? ppid : 0, commandLine });
  }
  return found;
}

/** `ConvertTo-Json` of ProcessId, ParentProcessId, CommandLine: an array, or one object for one process. */
export function parsePowerShellJson(text: string): RawProcess[] {
  let value: unknown;
  try {
    value = JSON.parse(text.trim().replace(/^\uFEFF/, ''));
  } catch {
    return [];
  }
  const items = Array.isArray(value) ? value : [value];
  return items.flatMap((item) => {
    if (typeof item !== 'object' || item === null) return [];
    const { ProcessId: pid, ParentProcessId: ppid, CommandLine: commandLine } = item as Record<string, unknown>;
    if (typeof pid !== 'number' || typeof commandLine !== 'string' || commandLine.trim() === '') return [];
    return [{ pid, ppid: typeof ppid === 'number' ? ppid : 0, commandLine: commandLine.trim() }];
  });
}

/** A listing that answered something usable: at least one command line. */
function answered(raw: readonly RawProcess[], source: string): ProcessList | null {
  const rows = toRows(raw);
  return rows.length === 0 ? null : { rows, source };
}

function systemRoot(): string {
  return process.env.SystemRoot ?? process.env.windir ?? 'C:\\Windows';
}

function stdoutOf(result: RunResult): string | null {
  return result.ok && result.stdout.trim() !== '' ? result.stdout : null;
}

export function listByWmic(): ProcessList | null {
  const out = stdoutOf(runBounded(join(systemRoot(), 'System32', 'wbem', 'WMIC.exe'),
    ['process', 'get', 'ProcessId,ParentProcessId,CommandLine', '/format:list'], { timeoutMs: WMIC_TIMEOUT_MS }));
  return out === null ? null : answered(parseWmicList(out), 'wmic');
}

export function listByPowerShell(): ProcessList | null {
  const command = '[Console]::OutputEncoding = [Text.Encoding]::UTF8; '
    + 'Get-CimInstance Win32_Process | Select-Object ProcessId,ParentProcessId,CommandLine | ConvertTo-Json -Compress';
  const out = stdoutOf(runBounded(join(systemRoot(), 'System32', 'WindowsPowerShell', 'v1.0', 'powershell.exe'),
    ['-NoProfile', '-NonInteractive', '-Command', command], { timeoutMs: POWERSHELL_TIMEOUT_MS }));
  return out === null ? null : answered(parsePowerShellJson(out), 'PowerShell Get-CimInstance');
}

/** A variable of a CREATE_UNICODE_ENVIRONMENT block (names compare case-insensitively on Windows). */
export function environmentVariable(block: string, name: string): string | null {
  const key = `${name.toUpperCase()}=`;
  for (const entry of block.split('\0')) {
    if (entry === '') break;
    if (entry.toUpperCase().startsWith(key)) return entry.slice(key.length);
  }
  return null;
}

export interface ProcessParameters {
  readonly commandLine: string;
  /** null when unset, undefined when the environment could not be read. */
  readonly gatehouseHome: string | null | undefined;
}

function commandLineByInfoClass(handle: number): string | null {
  const k = kernel32();
  const needed = [0];
  k.NtQueryInformationProcess(handle, ProcessCommandLineInformation, Buffer.alloc(UNICODE_STRING_SIZE), UNICODE_STRING_SIZE, needed);
  if (needed[0] === undefined || needed[0] < UNICODE_STRING_SIZE) return null;
  const buffer = Buffer.alloc(needed[0]);
  if (k.NtQueryInformationProcess(handle, ProcessCommandLineInformation, buffer, buffer.length, needed) !== STATUS_SUCCESS) return null;
  const length = buffer.readUInt16LE(0);
  return buffer.subarray(UNICODE_STRING_SIZE, UNICODE_STRING_SIZE + length).toString('utf16le');
}

function readMemory(handle: number, address: bigint, length: number): Buffer | null {
  if (address === 0n || length <= 0) return null;
  const buffer = Buffer.alloc(length);
  return kernel32().ReadProcessMemory(handle, address, buffer, length, [0]) === 0 ? null : buffer;
}

/** The command line and GATEHOUSE_HOME from the process's PEB; null when it cannot be read. */
function fromPeb(handle: number): ProcessParameters | null {
  const pbi = Buffer.alloc(PBI_SIZE);
  if (kernel32().NtQueryInformationProcess(handle, ProcessBasicInformation, pbi, PBI_SIZE, [0]) !== STATUS_SUCCESS) return null;
  const pointer = readMemory(handle, pbi.readBigUInt64LE(PBI_PEB) + BigInt(PEB_PARAMETERS), 8);
  const params = pointer === null ? null : readMemory(handle, pointer.readBigUInt64LE(0), PARAMS_SIZE);
  if (params === null) return null;
  const line = readMemory(handle, params.readBigUInt64LE(PARAMS_COMMAND_LINE + 8), params.readUInt16LE(PARAMS_COMMAND_LINE));
  if (line === null) return null;
  const size = Number(params.readBigUInt64LE(PARAMS_ENVIRONMENT_SIZE));
  const env = size > 0 && size <= MAX_ENVIRONMENT_BYTES ? readMemory(handle, params.readBigUInt64LE(PARAMS_ENVIRONMENT), size) : null;
  return { commandLine: line.toString('utf16le'), gatehouseHome: env === null ? undefined : environmentVariable(env.toString('utf16le'), HOME_VAR) };
}

/**
 * One process's command line (and, through its PEB, GATEHOUSE_HOME), natively; null when Windows
 * will not let us look (another user's or an elevated process) or it is gone.
 */
export function readProcessParameters(pid: number): ProcessParameters | null {
  const k = kernel32();
  // The PEB needs more rights than the info class; ask for them, else settle for the limited right.
  let handle = k.OpenProcess(PROCESS_QUERY_INFORMATION | PROCESS_VM_READ, 0, pid);
  const full = handle !== NULL_HANDLE;
  if (!full) handle = k.OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid);
  if (handle === NULL_HANDLE) return null;
  try {
    const peb = full ? fromPeb(handle) : null;
    if (peb !== null) return peb;
    const line = commandLineByInfoClass(handle);
    return line === null ? null : { commandLine: line, gatehouseHome: undefined };
  } finally {
    k.CloseHandle(handle);
  }
}

/** Toolhelp + each process's parameters; null when even our own command line cannot be read. */
export function listNatively(): ProcessList | null {
  let entries;
  try {
    entries = kernel32().listProcesses();
  } catch {
    return null; // koffi or kernel32 unavailable
  }
  if (entries === null || readProcessParameters(process.pid) === null) return null;
  const raw = entries.flatMap((e) => {
    const params = e.th32ProcessID === 0 ? null : readProcessParameters(e.th32ProcessID);
    return params === null ? [] : [{ pid: e.th32ProcessID, ppid: e.th32ParentProcessID, ...params }];
  });
  return answered(raw, 'Toolhelp + process parameters (PEB)');
}

/** The first way of listing that answers: native, wmic, PowerShell. */
export function listWindowsProcesses(): ProcessList | null {
  return listNatively() ?? listByWmic() ?? listByPowerShell();
}
