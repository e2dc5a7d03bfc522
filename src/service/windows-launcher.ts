// The hidden JScript launcher that both Windows tracks run (the Scheduled Task's action and the
// Startup-folder entry): render it from a spec, parse it back. Why this shape
// (reference/windows-hidden-launch.md): wscript.exe is a GUI program, so nothing flashes; it starts
// console node.exe with window style 0, so node gets one hidden console every descendant inherits;
// it waits (bWaitOnReturn=true), so the task shows Running while the gateway lives, and quits with
// node's exit code. JScript, not VBScript: VBScript is being removed from Windows.
// Exit 75 (a full restart: `restart --full`, /v1/admin/restart?full=1, update-respawn) is honoured
// here: Task Scheduler's RestartOnFailure never fires for an action that exits non-zero, and the
// repeating trigger comes only every 5 minutes. So the launcher starts node again at once, still as
// its own child (the new monitor stays under the task, and watches the same launcher), bounded by a
// crash-loop guard: more restarts than RESTART_GUARD allows in its window, and it quits 75 instead
// (the task's repeating trigger tries again later; a Startup entry waits for the next logon).
// The Startup-folder entry is this same .js file: Explorer opens it with its default verb, which is
// WSH (`WScript.exe "%1"`) unless policy re-associated .js; a .lnk to wscript.exe would not depend
// on the association but is a binary format we would have to write and read back.
import { win32 } from 'node:path';
import { errorMessage } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import type { ParsedDefinition, ServiceSpec } from './types.js';
import { DefinitionParseError, UnrepresentableError, profileFromArgs, serviceBaseName, validateSpec } from './spec.js';
import { parseJsLiteral, renderJsLiteral, type JsLiteral } from './jscript-quote.js';
import { buildWindowsCommandLine } from '../platform/win-cmdline.js';

export const LAUNCHER_FILE = 'gatehouse-launcher.js';
/**
 * While this file exists in the profile directory, the launcher starts nothing: `gatehouse stop`
 * writes it so the task's repeating trigger does not undo a planned stop; `start` removes it.
 */
export const AUTOSTART_HOLD_FILE = 'autostart-hold';
/** Window style for WshShell.Run: 0 = SW_HIDE. */
const SW_HIDE = 0;

/** How many immediate restarts (exit 75) the launcher allows within a window before it gives up. */
export interface RestartGuard {
  readonly limit: number;
  readonly windowMs: number;
}
/** 5 in a minute: more means a restart loop (say, a resumed `/restart` run again at every boot). */
export const RESTART_GUARD: RestartGuard = { limit: 5, windowMs: 60_000 };
const WINDOWS_ABSOLUTE = /^(?:[A-Za-z]:\\|\\\\[^\\])/;

/** Where the launcher lives: in the profile directory, next to what it starts. */
export function launcherPath(profileDir: string): string {
  return win32.join(profileDir, LAUNCHER_FILE);
}

/** The Startup-folder entry for a profile; the Startup directory is injected by the caller. */
export function startupEntryPath(startupDir: string, profile: string): string {
  return win32.join(startupDir, `${serviceBaseName(profile)}.js`);
}

function holdPath(spec: ServiceSpec): string {
  const home = spec.env['GATEHOUSE_HOME'];
  if (home === undefined) throw new UnrepresentableError('a Windows launcher needs GATEHOUSE_HOME in the spec');
  return win32.join(home, 'profiles', spec.profile, AUTOSTART_HOLD_FILE);
}

/**
 * The string handed to WshShell.Run. Run expands %NAME% environment references with no escape for
 * a literal %, so a path holding % is refused rather than silently run as something else.
 */
export function launcherCommandLine(spec: ServiceSpec): string {
  for (const path of [spec.nodePath, spec.entryScript, spec.workingDirectory, spec.logDir]) {
    if (!WINDOWS_ABSOLUTE.test(path)) throw new UnrepresentableError(`not an absolute Windows path: ${JSON.stringify(path)}`);
  }
  const line = buildWindowsCommandLine([spec.nodePath, spec.entryScript, ...spec.args]);
  if (line.includes('%')) throw new UnrepresentableError(`WshShell.Run would expand % in ${JSON.stringify(line)}`);
  return line;
}

/** Declared at the top of the launcher; read back by parseLauncher (some only for read-back). */
const FIELDS = ['GH_PROFILE', 'GH_NODE', 'GH_ENTRY', 'GH_ARGS', 'GH_ENV', 'GH_CWD', 'GH_LOG_DIR', 'GH_DRAIN_TIMEOUT_MS', 'GH_HOLD', 'GH_COMMAND'] as const;
type Field = (typeof FIELDS)[number];

/** The launcher for `spec`; `guard` is injectable so that tests can run the crash-loop guard. */
export function renderLauncher(spec: ServiceSpec, guard: RestartGuard = RESTART_GUARD): string {
  validateSpec(spec);
  const values: Record<Field, JsLiteral> = {
    GH_PROFILE: spec.profile,
    GH_NODE: spec.nodePath,
    GH_ENTRY: spec.entryScript,
    GH_ARGS: [...spec.args],
    GH_ENV: Object.keys(spec.env).sort().map((key) => [key, spec.env[key] as string]),
    GH_CWD: spec.workingDirectory,
    GH_LOG_DIR: spec.logDir,
    GH_DRAIN_TIMEOUT_MS: spec.drainTimeoutMs,
    GH_HOLD: holdPath(spec),
    GH_COMMAND: launcherCommandLine(spec),
  };
  return [
    `// Gatehouse launcher for profile ${spec.profile}. Generated by \`gatehouse install\`; a hand edit is repaired.`,
    '// Starts node hidden (window style 0), waits for it and quits with its exit code. No dialogs, ever.',
    ...FIELDS.map((field) => `var ${field} = ${renderJsLiteral(values[field])};`),
    'try {',
    '  var fso = new ActiveXObject("Scripting.FileSystemObject");',
    '  // node or gatehouse removed, or a planned stop in force: do nothing, successfully.',
    '  var quitIfGone = function () { if (!fso.FileExists(GH_NODE) || !fso.FileExists(GH_ENTRY) || fso.FileExists(GH_HOLD)) WScript.Quit(0); };',
    '  quitIfGone();',
    '  var sh = new ActiveXObject("WScript.Shell");',
    '  var env = sh.Environment("PROCESS");',
    // Only what differs is written. Wine 8's WshEnvironment cannot write at all (put_Item is a stub,
    // E_NOTIMPL), so under Wine the launcher runs only when its caller already has these values
    // (the Wine tests start wscript with them); without them it quits 1 and starts nothing.
    '  for (var i = 0; i < GH_ENV.length; i++) if (env(GH_ENV[i][0]) !== GH_ENV[i][1]) env(GH_ENV[i][0]) = GH_ENV[i][1];',
    '  sh.CurrentDirectory = GH_CWD;',
    `  // Exit ${EXIT.RESTART} asks for a new monitor now: run node again (the guard checked first), at most`,
    `  // ${guard.limit} times within ${guard.windowMs} ms; any other code is passed through.`,
    '  var restarts = [];',
    '  for (;;) {',
    `    var code = sh.Run(GH_COMMAND, ${SW_HIDE}, true);`,
    `    if (code !== ${EXIT.RESTART}) WScript.Quit(code);`,
    '    var now = new Date().getTime();',
    `    while (restarts.length > 0 && now - restarts[0] > ${guard.windowMs}) restarts.shift();`,
    `    if (restarts.length >= ${guard.limit}) WScript.Quit(code);`,
    '    restarts.push(now);',
    '    quitIfGone();',
    '  }',
    '} catch (e) {',
    '  // Swallowed on purpose: wscript without //B (a Startup-folder start) would show a dialog.',
    '  WScript.Quit(1);',
    '}',
    '',
  ].join('\r\n');
}

function asString(value: JsLiteral | undefined, field: Field): string {
  if (typeof value !== 'string') throw new DefinitionParseError(`${field} is not a string`);
  return value;
}

/** Read the declared fields back into the spec; the command line must still match them. */
export function parseLauncher(text: string): ParsedDefinition {
  try {
    const values = new Map<string, JsLiteral>();
    for (const line of text.split(/\r?\n/)) {
      const match = /^var (GH_[A-Z_]+) = (.*);$/.exec(line);
      if (match) values.set(match[1] as string, parseJsLiteral(match[2] as string));
    }
    for (const field of FIELDS) if (!values.has(field)) throw new DefinitionParseError(`no ${field} in the launcher`);
    const args = values.get('GH_ARGS');
    const envPairs = values.get('GH_ENV');
    const drain = values.get('GH_DRAIN_TIMEOUT_MS');
    if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) throw new DefinitionParseError('GH_ARGS is not a list of strings');
    if (typeof drain !== 'number') throw new DefinitionParseError('GH_DRAIN_TIMEOUT_MS is not a number');
    const env: Record<string, string> = {};
    for (const pair of Array.isArray(envPairs) ? envPairs : [null]) {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
        throw new DefinitionParseError('GH_ENV is not a list of [name, value] pairs');
      }
      env[pair[0]] = pair[1];
    }
    const spec: ServiceSpec = {
      profile: asString(values.get('GH_PROFILE'), 'GH_PROFILE'),
      nodePath: asString(values.get('GH_NODE'), 'GH_NODE'),
      entryScript: asString(values.get('GH_ENTRY'), 'GH_ENTRY'),
      args: args as string[],
      env,
      workingDirectory: asString(values.get('GH_CWD'), 'GH_CWD'),
      drainTimeoutMs: drain,
      logDir: asString(values.get('GH_LOG_DIR'), 'GH_LOG_DIR'),
    };
    if (profileFromArgs(spec.args) !== spec.profile) throw new DefinitionParseError('GH_PROFILE does not match GH_ARGS');
    if (values.get('GH_COMMAND') !== launcherCommandLine(spec)) throw new DefinitionParseError('GH_COMMAND was edited: it no longer matches GH_NODE, GH_ENTRY and GH_ARGS');
    return { ok: true, spec };
  } catch (error) {
    return { ok: false, reason: errorMessage(error) };
  }
}
