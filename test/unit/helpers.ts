// Shared helpers for the unit tests: temp dirs that clean themselves, bounded polling, and real
// child processes that are always killed at the end of the test.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestContext } from 'node:test';

export const isLinux = process.platform === 'linux';

/** A fresh temp dir, removed when the test ends. */
export function tempDir(t: TestContext, prefix = 'gh-unit-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Poll until probe returns something truthy; throw after timeoutMs. */
export async function waitFor<T>(what: string, probe: () => T | null | undefined | false, timeoutMs = 10_000, everyMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Resolve when the child has exited (and been reaped by libuv). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Kill a pid if it still exists; ignore ESRCH. */
export function killQuietly(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (pid === undefined) return;
  try { process.kill(pid, signal); } catch { /* already gone */ }
}

/**
 * Run a node script as a child; resolves once it printed its first line (returned). The child is
 * SIGKILLed when the test ends.
 */
export async function spawnNode(t: TestContext, script: string, timeoutMs = 10_000): Promise<{ child: ChildProcess; firstLine: string }> {
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => { stderr = (stderr + chunk).slice(-4_000); });
  t.after(async () => {
    killQuietly(child.pid);
    await exited(child);
  });
  const firstLine = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error('child printed nothing in time')), timeoutMs);
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      buffer += chunk;
      const newline = buffer.indexOf('\n');
      if (newline >= 0) {
        clearTimeout(timer);
        resolve(buffer.slice(0, newline));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`child exited (${code ?? signal}) before printing; stderr: ${stderr.trim()}`));
    });
  });
  return { child, firstLine };
}

/** A live child process that does nothing for a minute (killed at the end of the test). */
export async function spawnSleeper(t: TestContext): Promise<ChildProcess> {
  const { child } = await spawnNode(t, "console.log('ready'); setTimeout(() => {}, 60_000);");
  return child;
}

/** A pid that cannot exist (above any pid_max). */
export const IMPOSSIBLE_PID = 2_147_483_647;
