// The Windows definitions: the hidden JScript launcher (both tracks run it) and the Scheduled Task
// XML, their properties and render -> parse round trips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildServiceSpec, normalizeSpec, UnrepresentableError } from '../../src/service/spec.js';
import { launcherCommandLine, launcherPath, parseLauncher, renderLauncher, startupEntryPath } from '../../src/service/windows-launcher.js';
import { decodeTaskXml, DEFAULT_WSCRIPT, encodeTaskXml, parseTaskXml, renderTaskXml, taskName, type TaskDefinition } from '../../src/service/task-xml.js';
import { parseWindowsCommandLine } from '../../src/platform/win-cmdline.js';
import type { ServiceSpec } from '../../src/service/types.js';

const HOME = 'C:\\Users\\Ana María\\AppData\\Local\\gatehouse';

function spec(overrides: Partial<Parameters<typeof buildServiceSpec>[0]> = {}): ServiceSpec {
  return buildServiceSpec({
    profile: 'work',
    nodePath: 'C:\\Program Files\\nodejs\\node.exe',
    entryScript: 'C:\\Users\\Ana María\\AppData\\Roaming\\npm\\node_modules\\gatehouse\\bin\\gatehouse.js',
    home: HOME,
    workingDirectory: `${HOME}\\profiles\\work`,
    logDir: `${HOME}\\profiles\\work\\logs`,
    ...overrides,
  });
}

test('launcher render -> parse gives the spec back', () => {
  for (const s of [spec(), spec({ profile: 'default' }), spec({ entryScript: 'C:\\日本語 "x"\\it\'s & ^(1)\\g.js', workingDirectory: 'C:\\100%' })]) {
    const parsed = parseLauncher(renderLauncher(s));
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
    assert.deepEqual(normalizeSpec(parsed.spec), normalizeSpec(s));
  }
});

test('the launcher is ASCII with CRLF, runs node hidden, waits, and passes the exit code through', () => {
  const text = renderLauncher(spec());
  assert.match(text, /^[\x20-\x7e\r\n]*$/, 'WSH reads a BOM-less script in the ANSI code page: ASCII only');
  assert.ok(!/[^\r]\n/.test(text), 'CRLF line endings');
  assert.match(text, /var code = sh\.Run\(GH_COMMAND, 0, true\);/);
  assert.match(text, /if \(code !== 75\) WScript\.Quit\(code\);/, 'every code but the restart code is passed through');
  assert.match(text, /new ActiveXObject\("WScript\.Shell"\)/);
  assert.match(text, /if \(!fso\.FileExists\(GH_NODE\) \|\| !fso\.FileExists\(GH_ENTRY\) \|\| fso\.FileExists\(GH_HOLD\)\) WScript\.Quit\(0\);/);
  assert.match(renderLauncher(spec(), { limit: 3, windowMs: 1_000 }), /if \(restarts\.length >= 3\) WScript\.Quit\(code\);/, 'the guard is rendered from its settings');
  assert.ok(!/\.vbs|cmd\.exe|powershell|conhost/i.test(text));
  assert.deepEqual(parseWindowsCommandLine(launcherCommandLine(spec())), [spec().nodePath, spec().entryScript, 'run', '--profile', 'work']);
});

test('the launcher refuses % in what WshShell.Run would expand, and non-Windows paths', () => {
  assert.throws(() => renderLauncher(spec({ nodePath: 'C:\\100%\\node.exe' })), /expand %/);
  assert.throws(() => renderLauncher(spec({ nodePath: '/usr/bin/node' })), UnrepresentableError);
});

test('a hand-edited launcher is reported, not trusted', () => {
  const text = renderLauncher(spec());
  const edited = text.replace(/^var GH_COMMAND = .*$/m, 'var GH_COMMAND = "calc.exe";');
  assert.match((parseLauncher(edited) as { reason: string }).reason, /GH_COMMAND was edited/);
  assert.equal(parseLauncher(text.replace(/^var GH_ENV = .*\r\n/m, '')).ok, false);
  assert.equal(parseLauncher('WScript.Quit(0);').ok, false);
});

test('launcher and Startup entry paths per profile', () => {
  assert.equal(launcherPath(`${HOME}\\profiles\\work`), `${HOME}\\profiles\\work\\gatehouse-launcher.js`);
  assert.equal(startupEntryPath('C:\\S', 'default'), 'C:\\S\\gatehouse.js');
  assert.equal(startupEntryPath('C:\\S', 'work'), 'C:\\S\\gatehouse-work.js');
  assert.equal(taskName('default'), 'Gatehouse');
  assert.equal(taskName('work'), 'Gatehouse-work');
});

const TASK: TaskDefinition = {
  userId: 'DESKTOP-1\\Ana & "María" <x>',
  launcherPath: `${HOME}\\profiles\\work\\gatehouse-launcher.js`,
  profile: 'work',
  wscriptPath: DEFAULT_WSCRIPT,
};

test('task XML render -> parse gives the definition back', () => {
  const parsed = parseTaskXml(renderTaskXml(TASK));
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
  assert.deepEqual(parsed.task.definition, TASK);
});

test('the task revives a dead monitor, ignores a second start, and never stops for time or battery', () => {
  const parsed = parseTaskXml(renderTaskXml(TASK));
  assert.ok(parsed.ok);
  const { task } = parsed;
  assert.equal(task.logonUserId, TASK.userId);
  assert.equal(task.repetitionInterval, 'PT5M');
  assert.equal(task.repetitionDuration, null, 'no Duration: the repetition runs indefinitely');
  assert.equal(task.logonType, 'InteractiveToken');
  assert.equal(task.runLevel, 'LeastPrivilege');
  assert.equal(task.settings['MultipleInstancesPolicy'], 'IgnoreNew');
  assert.equal(task.settings['StartWhenAvailable'], 'true');
  assert.equal(task.settings['DisallowStartIfOnBatteries'], 'false');
  assert.equal(task.settings['StopIfGoingOnBatteries'], 'false');
  assert.equal(task.settings['ExecutionTimeLimit'], 'PT0S');
  assert.equal(task.settings['Hidden'], 'true');
  const xml = renderTaskXml(TASK);
  assert.match(xml, /<Task version="1\.2" xmlns="http:\/\/schemas\.microsoft\.com\/windows\/2004\/02\/mit\/task">/);
  assert.match(xml, /<Command>%SystemRoot%\\System32\\wscript\.exe<\/Command><Arguments>\/\/B \/\/Nologo \/\/E:JScript &quot;C:\\Users/);
  assert.ok(!/cmd\.exe|powershell|conhost|\.vbs/i.test(xml));
});

test('task XML is written as UTF-16LE with a BOM and decoded back, UTF-8 read too', () => {
  const xml = renderTaskXml(TASK);
  const bytes = encodeTaskXml(xml);
  assert.deepEqual([...bytes.subarray(0, 4)], [0xff, 0xfe, 0x3c, 0x00]);
  assert.equal(decodeTaskXml(bytes), xml);
  assert.equal(decodeTaskXml(new TextEncoder().encode(`\uFEFF${xml}`)), xml);
  assert.throws(() => decodeTaskXml(Uint8Array.from([0xff, 0xfe, 0x3c])), /odd byte count/);
});

test('task XML refuses a launcher path Task Scheduler would expand, and reports a foreign task', () => {
  assert.throws(() => renderTaskXml({ ...TASK, launcherPath: 'C:\\100%\\l.js' }), UnrepresentableError);
  const foreign = renderTaskXml(TASK).replace(/<Arguments>.*<\/Arguments>/, '<Arguments>/c evil</Arguments>');
  assert.equal(parseTaskXml(foreign).ok, false);
  assert.equal(parseTaskXml('<Task/>').ok, false);
});
