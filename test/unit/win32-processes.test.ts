// Windows process listing for discovery: the parsers of wmic's and PowerShell's output, from sample
// text (neither gives command lines under Wine 8, so they cannot run for real here), and what
// discovery claims from rows without an environment. The native path runs for real in test/win32/.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findGatewayMonitors, type GatewayQuery } from '../../src/platform/discovery.js';
import { decodeToolOutput } from '../../src/platform/spawn.js';
import { environmentVariable, parsePowerShellJson, parseWmicList, toRows } from '../../src/platform/win32-processes.js';

const ENTRY = 'C:\\Program Files\\gatehouse\\dist\\src\\cli\\main.js';
const HOME = 'C:\\Users\\Ann Lee\\AppData\\Local\\gatehouse';
const NODE = 'C:\\Program Files\\nodejs\\node.exe';
const query: GatewayQuery = { entryScript: ENTRY, profile: 'default', home: HOME, defaultHome: HOME, caseInsensitive: true, exclude: new Set([900]) };

/** UTF-16LE with a byte order mark, as wmic writes to a pipe. */
const utf16 = (text: string): Buffer => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);

// `wmic process get ProcessId,ParentProcessId,CommandLine /format:list` on Windows 10: a blank line
// pair between records, every line ended by \r\r\n, properties in alphabetical order, system
// processes with an empty CommandLine, the monitor (started by `start`, with --home) and its worker.
const WMIC_LIST = [
  '', '',
  'CommandLine=', 'ParentProcessId=0', 'ProcessId=4', '', '',
  'CommandLine=\\??\\C:\\Windows\\system32\\conhost.exe 0x4', 'ParentProcessId=4', 'ProcessId=812', '', '',
  `CommandLine="${NODE}" "${ENTRY}" run --profile default --home "${HOME}"`, 'ParentProcessId=4410', 'ProcessId=5120', '', '',
  `CommandLine="${NODE}" "${ENTRY}" run --profile default`, 'ParentProcessId=5120', 'ProcessId=5184', '', '',
  `CommandLine="${NODE}" "${ENTRY}" run --profile default`, 'ParentProcessId=77', 'ProcessId=6000', '', '',
  `CommandLine="${NODE}" "${ENTRY}" status --profile default`, 'ParentProcessId=880', 'ProcessId=900', '', '', '',
].join('\r\r\n');

// Recorded under Wine 8 (wine64 8.0, `wmic` of Debian 12): UTF-16LE with a BOM, /format:list ignored,
// a table of 98-character columns in which CommandLine is always empty.
const col = (value: string): string => value.padEnd(98);
const WINE_WMIC = utf16([
  `${col('CommandLine')}${col('ParentProcessID')}${col('ProcessID')}\r\n`,
  `${col('')}${col('40')}${col('56')}\r\n`,
  `${col('')}${col('48')}${col('64')}\r\n`,
].join(''));

test('wmic /format:list output (UTF-16LE through a pipe) gives pid, parent and argv', () => {
  const raw = parseWmicList(decodeToolOutput(utf16(WMIC_LIST)));
  assert.deepEqual(raw.map((r) => [r.pid, r.ppid]), [[812, 4], [5120, 4410], [5184, 5120], [6000, 77], [900, 880]], 'processes without a command line are left out');
  const rows = toRows(raw);
  assert.deepEqual(rows.find((r) => r.pid === 5120)?.argv, [NODE, ENTRY, 'run', '--profile', 'default', '--home', HOME]);
  assert.equal(rows.find((r) => r.pid === 5120)?.gatehouseHome, undefined, 'wmic gives no environment');
  // The monitor is claimed by the --home on its command line; its worker is not (its parent matches);
  // pid 6000 runs the same command without --home and its environment is unknown: never claimed.
  assert.deepEqual(findGatewayMonitors(rows, query).map((r) => r.pid), [5120]);
});

test("Wine's wmic (a table with no command lines) and an empty exit-0 answer are no answer", () => {
  const text = decodeToolOutput(WINE_WMIC);
  assert.match(text, /^CommandLine +ParentProcessID +ProcessID/);
  assert.deepEqual(parseWmicList(text), []);
  assert.deepEqual(parseWmicList(''), []);
  assert.deepEqual(parsePowerShellJson(''), [], "Wine's PowerShell exits 0 and prints nothing");
});

test('PowerShell Get-CimInstance Win32_Process | ConvertTo-Json: an array, or one object, with null command lines', () => {
  const json = JSON.stringify([
    { ProcessId: 0, ParentProcessId: 0, CommandLine: null },
    { ProcessId: 5120, ParentProcessId: 4410, CommandLine: `"${NODE}" "${ENTRY}" run --profile default --home "${HOME}"` },
    { ProcessId: 5184, ParentProcessId: 5120, CommandLine: `"${NODE}" "${ENTRY}" run --profile default` },
  ]);
  const raw = parsePowerShellJson(`\uFEFF${json}\r\n`); // [Console]::OutputEncoding = UTF8 writes a BOM
  assert.deepEqual(raw.map((r) => r.pid), [5120, 5184]);
  assert.deepEqual(findGatewayMonitors(toRows(raw), query).map((r) => r.pid), [5120]);
  assert.deepEqual(parsePowerShellJson(JSON.stringify({ ProcessId: 7, ParentProcessId: 1, CommandLine: 'x.exe a' })).map((r) => r.pid), [7]);
  assert.deepEqual(parsePowerShellJson('Get-CimInstance : Access denied'), [], 'an error text is no answer');
});

test('a command line the UCRT rules cannot split is left out; environment blocks are read case-insensitively', () => {
  assert.deepEqual(toRows([{ pid: 1, ppid: 0, commandLine: '"C:\\unterminated' }]), []);
  const block = `ALLUSERSPROFILE=C:\\ProgramData\0Gatehouse_Home=${HOME}\0PATH=C:\\x\0\0`;
  assert.equal(environmentVariable(block, 'GATEHOUSE_HOME'), HOME);
  assert.equal(environmentVariable('A=1\0\0GATEHOUSE_HOME=after-the-end\0', 'GATEHOUSE_HOME'), null, 'the block ends at the empty entry');
  assert.equal(decodeToolOutput(Buffer.from('plain utf8 é')), 'plain utf8 é');
});
