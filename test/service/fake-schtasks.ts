// A stateful fake of `schtasks` for one user's tasks. /Create reads the XML file as schtasks does
// (UTF-16LE with a BOM, or it refuses), /Query /XML prints what is registered, /Change flips
// Settings/Enabled, and /Run follows MultipleInstancesPolicy IgnoreNew: exit 0 and nothing happens
// while an instance runs. An instance is a launcher that starts the gateway (onInstanceStart) and
// whose end stops it (onInstanceEnd). Injected per verb (or per verb and task name): access denied,
// a hang, and "exit 0 with empty output and no effect" (what restricted or emulated environments do).
import { readFileSync } from 'node:fs';
import type { RunOptions, RunResult } from '../../src/platform/spawn.js';
import { parseTaskXml } from '../../src/service/task-xml.js';

interface Task { xml: string; running: boolean }
export type SchtasksFault = 'denied' | 'hang' | 'silent';

const UTF16LE_BOM = Buffer.from([0xff, 0xfe]);

export class FakeSchtasks {
  readonly tasks = new Map<string, Task>();
  readonly calls: Array<{ args: string[]; timeoutMs: number }> = [];
  readonly inject = new Map<string, SchtasksFault>();
  onInstanceStart: (name: string) => void = () => {};
  onInstanceEnd: (name: string) => void = () => {};

  readonly run = (command: string, args: readonly string[], options: RunOptions): RunResult => {
    if (command !== 'schtasks') throw new Error(`unexpected command ${command}`);
    this.calls.push({ args: [...args], timeoutMs: options.timeoutMs });
    const verb = args[0] ?? '';
    const name = args[args.indexOf('/TN') + 1] ?? '';
    // A fault for one task (`/Create <name>`) or for every call of the verb (`/Create`).
    const fault = this.inject.get(`${verb} ${name}`) ?? this.inject.get(verb);
    if (fault === 'hang') return result(null, '', '', true);
    if (fault === 'denied') return result(1, '', 'ERROR: Access is denied.\r\n');
    if (fault === 'silent') return result(0);
    const task = this.tasks.get(name);
    const missing = (): RunResult => result(1, '', 'ERROR: The system cannot find the file specified.\r\n');
    switch (verb) {
      case '/Create': return this.create(name, args);
      case '/Query': return task === undefined ? missing() : result(0, task.xml);
      case '/Run':
        if (task === undefined) return missing();
        if (!enabled(task.xml)) return result(1, '', 'ERROR: The task is disabled.\r\n');
        if (!task.running) { task.running = true; this.onInstanceStart(name); } // IgnoreNew: else nothing
        return result(0, `SUCCESS: Attempted to run the scheduled task "${name}".\r\n`);
      case '/End':
        if (task === undefined) return missing();
        if (task.running) { task.running = false; this.onInstanceEnd(name); }
        return result(0, `SUCCESS: The scheduled task "${name}" was terminated.\r\n`);
      case '/Delete':
        if (task === undefined) return missing();
        this.tasks.delete(name);
        return result(0, `SUCCESS: The scheduled task "${name}" was successfully deleted.\r\n`);
      case '/Change': {
        if (task === undefined) return missing();
        const on = args.includes('/ENABLE');
        task.xml = task.xml.replace(/(<Settings>[\s\S]*?<Enabled>)(true|false)(<\/Enabled>)/, `$1${on}$3`);
        return result(0, `SUCCESS: The parameters of scheduled task "${name}" have been changed.\r\n`);
      }
      default: throw new Error(`fake schtasks does not know ${verb}`);
    }
  };

  /** The instance (the launcher) dies on its own, e.g. killed from Task Manager. */
  instanceDied(name: string): void {
    const task = this.tasks.get(name);
    if (task?.running) { task.running = false; this.onInstanceEnd(name); }
  }

  verbs(): string[] {
    return this.calls.map((c) => c.args[0] as string);
  }

  private create(name: string, args: readonly string[]): RunResult {
    const file = args[args.indexOf('/XML') + 1];
    if (file === undefined || !args.includes('/F') && this.tasks.has(name)) return result(1, '', 'ERROR: Cannot create a file when that file already exists.\r\n');
    const bytes = readFileSync(file);
    if (!bytes.subarray(0, 2).equals(UTF16LE_BOM)) return result(1, '', 'ERROR: The task XML is malformed.\r\n');
    const xml = bytes.subarray(2).toString('utf16le');
    if (!parseTaskXml(xml).ok) return result(1, '', 'ERROR: The task XML is malformed.\r\n');
    const running = this.tasks.get(name)?.running ?? false;
    this.tasks.set(name, { xml, running });
    return result(0, `SUCCESS: The scheduled task "${name}" has successfully been created.\r\n`);
  }
}

function enabled(xml: string): boolean {
  return /<Settings>[\s\S]*?<Enabled>true<\/Enabled>/.test(xml);
}

function result(exitCode: number | null, stdout = '', stderr = '', timedOut = false): RunResult {
  return { ok: exitCode === 0 && !timedOut, exitCode, signal: null, timedOut, stdout, stderr, spawnError: null };
}
