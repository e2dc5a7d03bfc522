// Helpers for the Windows suite (run for real by node.exe under Wine: scripts/wine/test.sh).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** node:test's `skip` option: a reason off Windows, so the Linux suite reports why and stays green. */
export const skipUnlessWin32: string | false = process.platform === 'win32'
  ? false
  : `Windows only (platform is ${process.platform}): run these under Wine with scripts/wine/test.sh`;

export const WIN32_MODULE = pathToFileURL(fileURLToPath(new URL('../../src/platform/win32.js', import.meta.url))).href;
export const KERNEL32_MODULE = pathToFileURL(fileURLToPath(new URL('../../src/platform/win32-kernel32.js', import.meta.url))).href;
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `gatehouse-win32-${prefix}-`));
}

/** Poll until `probe` returns a value other than undefined, at most `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

export function waitForFile(path: string, timeoutMs: number): Promise<string> {
  return waitFor(`file ${path}`, timeoutMs, () => (existsSync(path) ? readFileSync(path, 'utf8') : undefined));
}

/** Wait, bounded, for a child started with child_process to exit; its exit code. */
export function waitForExit(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pid ${child.pid} did not exit within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code) => { clearTimeout(timer); resolve(code); });
  });
}

/** A node.exe running an ES module snippet, stdout piped (Windows-to-Windows pipes are fine under Wine). */
export function nodeSnippet(code: string, options: { detached?: boolean } = {}): ChildProcess {
  return spawn(process.execPath, ['--input-type=module', '-e', code], {
    stdio: options.detached === true ? 'ignore' : ['ignore', 'pipe', 'pipe'],
    windowsHide: true,
    detached: options.detached === true,
  });
}

/** The first stdout line of a child that matches `pattern`, bounded. */
export function readLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; stdout ${JSON.stringify(buffered)} stderr ${JSON.stringify(stderr)}`)), timeoutMs);
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const line = buffered.split(/\r?\n/).find((l) => pattern.test(l));
      if (line !== undefined) { clearTimeout(timer); resolve(line); }
    });
  });
}
