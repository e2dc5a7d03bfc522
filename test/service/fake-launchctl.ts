// A stateful fake of `launchctl` for one gui/<uid> domain. Jobs are what bootstrap read from the
// plist on disk; the override database (enable/disable) outlives bootout as launchd's does; a job's
// KeepAlive dict decides whether an exit is relaunched. Known failures on demand: error 5 for
// bootstraps that come too early after a bootout (slowTeardown), 125 without a GUI session, 119 for
// a disabled label, and a hang per verb. An unexpected call fails loudly. A job with StartInterval
// is run for real when the test says an interval has passed (fireInterval): its ProgramArguments in
// its WorkingDirectory with launchd's minimal environment plus its EnvironmentVariables.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { RunOptions, RunResult } from '../../src/platform/spawn.js';
import { isPlistDict, parsePlist } from '../../src/service/plist.js';

interface Job { readonly plistPath: string; readonly keepAliveOnFailure: boolean; pid: number | null; lastExit: number | null }

export class FakeLaunchctl {
  readonly jobs = new Map<string, Job>();
  /** The override database: label -> disabled? */
  readonly overrides = new Map<string, boolean>();
  readonly calls: Array<{ args: string[]; timeoutMs: number }> = [];
  readonly inject = new Map<string, 'hang'>();
  /** false: no GUI login session (ssh): bootstrap exits 125, the domain cannot be printed. */
  guiSession = true;
  /** How many bootstrap attempts after a bootout still fail with 5 (the old instance is tearing down). */
  slowTeardown = 0;
  private tearingDown = 0;
  private nextPid = 500;

  constructor(private readonly uid: number) {}

  readonly run = (command: string, args: readonly string[], options: RunOptions): RunResult => {
    if (command !== 'launchctl') throw new Error(`unexpected command ${command}`);
    this.calls.push({ args: [...args], timeoutMs: options.timeoutMs });
    const [verb, ...rest] = args;
    if (this.inject.get(verb ?? '') === 'hang') return result(null, '', '', true);
    const domain = `gui/${this.uid}`;
    const label = (target: string | undefined): string => {
      if (target === undefined || !target.startsWith(`${domain}/`)) throw new Error(`fake launchctl: not a target in ${domain}: ${target}`);
      return target.slice(domain.length + 1);
    };
    switch (verb) {
      case 'print': return this.print(label(rest[0]));
      case 'print-disabled': return result(0, `disabled services = {\n${[...this.overrides].map(([l, d]) => `\t"${l}" => ${d ? 'disabled' : 'enabled'}`).join('\n')}\n}\n`);
      case 'bootstrap': return this.bootstrap(rest[0], rest[1]);
      case 'bootout': return this.bootout(label(rest[0]));
      case 'enable': this.overrides.set(label(rest[0]), false); return result(0);
      case 'disable': this.overrides.set(label(rest[0]), true); return result(0);
      case 'kickstart': return this.kickstart(label(rest.at(-1)), rest.includes('-k'));
      case 'kill': return this.kill(label(rest[1]));
      default: throw new Error(`fake launchctl does not know ${verb}`);
    }
  };

  /** The job's process ends with `code` (what a crash or a planned stop looks like to launchd). */
  exit(label: string, code: number): void {
    const job = this.jobs.get(label);
    if (job === undefined || job.pid === null) throw new Error(`${label} is not running`);
    job.pid = null;
    job.lastExit = code;
    if (code !== 0 && job.keepAliveOnFailure) job.pid = this.nextPid++;
  }

  /** Jobs loaded now whose plist has a StartInterval (what launchd runs on a timer). */
  intervalJobs(): string[] {
    return [...this.jobs].filter(([, job]) => typeof plistOf(job)['StartInterval'] === 'number').map(([label]) => label);
  }

  /**
   * One StartInterval period passed for `label`: launchd runs the program (unless a run is still
   * going, which this one-at-a-time call never leaves behind) and notes its exit. Refuses a job
   * that is not loaded or has no StartInterval, as launchd would never run it.
   */
  async fireInterval(label: string, timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const job = this.jobs.get(label);
    if (job === undefined) throw new Error(`${label} is not loaded: launchd would not run it`);
    const plist = plistOf(job);
    if (typeof plist['StartInterval'] !== 'number') throw new Error(`${label} has no StartInterval`);
    const [program, ...args] = plist['ProgramArguments'] as string[];
    const env = { PATH: '/usr/bin:/bin:/usr/sbin:/sbin', HOME: process.env['HOME'] ?? '/', ...(plist['EnvironmentVariables'] as Record<string, string> | undefined) };
    const child = spawn(program as string, args, { cwd: plist['WorkingDirectory'] as string, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
    child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    clearTimeout(timer);
    job.lastExit = code;
    return { code, stdout, stderr };
  }

  verbs(): string[] {
    return this.calls.map((c) => c.args[0] as string);
  }

  private print(name: string): RunResult {
    const job = this.jobs.get(name);
    if (!this.guiSession || job === undefined) return result(113, '', `Could not find service "${name}" in domain for user gui: ${this.uid}\n`);
    return result(0, [
      `gui/${this.uid}/${name} = {`, '\tactive count = 1', `\tpath = ${job.plistPath}`, '\ttype = LaunchAgent',
      `\tstate = ${job.pid === null ? 'not running' : 'running'}`, ...(job.pid === null ? [] : [`\tpid = ${job.pid}`]),
      ...(job.lastExit === null ? [] : [`\tlast exit code = ${job.lastExit}`]), '}', '',
    ].join('\n'));
  }

  private bootstrap(domain: string | undefined, path: string | undefined): RunResult {
    if (domain !== `gui/${this.uid}` || path === undefined) throw new Error(`fake launchctl: bad bootstrap ${domain} ${path}`);
    if (!this.guiSession) return result(125, '', 'Bootstrap failed: 125: Domain does not support specified action\n');
    const root = parsePlist(readFileSync(path, 'utf8'));
    if (!isPlistDict(root) || typeof root['Label'] !== 'string') return result(5, '', 'Bootstrap failed: 5: Input/output error\n');
    const name = root['Label'];
    if (this.tearingDown > 0) {
      this.tearingDown--;
      return result(5, '', 'Bootstrap failed: 5: Input/output error\n');
    }
    if (this.jobs.has(name)) return result(5, '', 'Bootstrap failed: 5: Input/output error\n');
    if (this.overrides.get(name) === true) return result(119, '', 'Bootstrap failed: 119: Service is disabled\n');
    const keepAlive = root['KeepAlive'];
    const job: Job = {
      plistPath: path, pid: null, lastExit: null,
      keepAliveOnFailure: keepAlive === true || (isPlistDict(keepAlive) && keepAlive['SuccessfulExit'] === false),
    };
    if (root['RunAtLoad'] === true) job.pid = this.nextPid++;
    this.jobs.set(name, job);
    return result(0);
  }

  private bootout(name: string): RunResult {
    if (!this.jobs.delete(name)) return result(113, '', `Boot-out failed: 113: Could not find specified service\n`);
    this.tearingDown = this.slowTeardown;
    return result(0);
  }

  private kickstart(name: string, kill: boolean): RunResult {
    const job = this.jobs.get(name);
    if (job === undefined) return result(113, '', 'Could not find service\n');
    if (job.pid !== null && !kill) return result(0);
    job.pid = this.nextPid++;
    return result(0);
  }

  /** SIGTERM that no planned stop announced: the monitor drains and exits 143 (src/exit-codes.ts). */
  private kill(name: string): RunResult {
    const job = this.jobs.get(name);
    if (job === undefined) return result(113, '', 'Could not find service\n');
    if (job.pid !== null) this.exit(name, 143);
    return result(0);
  }
}

function plistOf(job: Job): Record<string, unknown> {
  const root = parsePlist(readFileSync(job.plistPath, 'utf8'));
  return isPlistDict(root) ? root : {};
}

function result(exitCode: number | null, stdout = '', stderr = '', timedOut = false): RunResult {
  return { ok: exitCode === 0 && !timedOut, exitCode, signal: null, timedOut, stdout, stderr, spawnError: null };
}
