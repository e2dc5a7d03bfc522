// A stateful fake of `systemctl --user`: units are what daemon-reload read from the unit directory,
// enable/start change state, and every query answers from that state. Failures are injected per
// verb. Not a queue of canned answers: an unexpected call fails loudly.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunOptions, RunResult } from '../../src/platform/spawn.js';

export class FakeSystemctl {
  /** Unit name -> text as of the last daemon-reload. */
  readonly loaded = new Map<string, string>();
  readonly enabled = new Set<string>();
  readonly active = new Set<string>();
  readonly calls: string[][] = [];
  /** Verb -> what to do instead of succeeding. */
  readonly inject = new Map<string, 'hang' | 'fail'>();
  /** No user bus (no session): every call fails the way systemctl does, before it reaches a manager. */
  busDown = false;

  constructor(private readonly unitDir: string) {}

  readonly run = (command: string, args: readonly string[], _options: RunOptions): RunResult => {
    if (command !== 'systemctl' || args[0] !== '--user') throw new Error(`unexpected command ${command} ${args.join(' ')}`);
    const [verb, ...rest] = args.slice(1).filter((a) => a !== '--quiet' && a !== '--now');
    const now = args.includes('--now');
    this.calls.push(args.slice(1));
    if (this.busDown) return result(1, '', 'Failed to connect to bus: No such file or directory\n');
    const injected = this.inject.get(verb ?? '');
    if (injected === 'hang') return result(null, '', '', true);
    if (injected === 'fail') return result(1, '', `Failed to ${verb}: injected`);
    const unit = rest[0] ?? '';
    switch (verb) {
      case 'daemon-reload': return this.reload();
      case 'enable': return this.requireLoaded(unit, () => { this.enabled.add(unit); if (now) this.active.add(unit); });
      case 'disable': return this.requireLoaded(unit, () => { this.enabled.delete(unit); if (now) this.active.delete(unit); });
      case 'start': case 'restart': return this.requireLoaded(unit, () => this.active.add(unit));
      case 'stop': this.active.delete(unit); return result(0);
      case 'is-active': return result(this.active.has(unit) ? 0 : 3, this.active.has(unit) ? 'active\n' : 'inactive\n');
      case 'is-enabled': return result(this.enabled.has(unit) ? 0 : 1);
      case 'reset-failed': return result(this.loaded.has(unit) ? 0 : 1);
      case 'show': return unit.startsWith('--') ? result(0, 'Version=252.36-1~deb12u1\n') : result(0, [
        `ActiveState=${this.active.has(unit) ? 'active' : 'inactive'}`,
        `SubState=${this.active.has(unit) ? 'running' : 'dead'}`,
        `UnitFileState=${this.enabled.has(unit) ? 'enabled' : this.loaded.has(unit) ? 'disabled' : ''}`,
        `MainPID=${this.active.has(unit) ? 4242 : 0}`, '',
      ].join('\n'));
      default: throw new Error(`fake systemctl does not know ${verb}`);
    }
  };

  private reload(): RunResult {
    const files = new Map<string, string>();
    for (const name of safeReaddir(this.unitDir)) if (name.endsWith('.service') || name.endsWith('.timer')) files.set(name, readFileSync(join(this.unitDir, name), 'utf8'));
    this.loaded.clear();
    for (const [name, text] of files) this.loaded.set(name, text);
    // A unit whose file is gone is no longer enabled (its symlink went with it in real life).
    for (const name of this.enabled) if (!files.has(name)) this.enabled.delete(name);
    return result(0);
  }

  private requireLoaded(unit: string, action: () => void): RunResult {
    if (!this.loaded.has(unit)) return result(5, '', `Unit ${unit} not found.`);
    action();
    return result(0);
  }

  verbs(): string[] {
    return this.calls.map((call) => call.filter((a) => !a.startsWith('--') || a === '--now').slice(0, 2).join(' '));
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return []; // no unit directory yet: no units
  }
}

function result(exitCode: number | null, stdout = '', stderr = '', timedOut = false): RunResult {
  return { ok: exitCode === 0 && !timedOut, exitCode, signal: null, timedOut, stdout, stderr, spawnError: null };
}
