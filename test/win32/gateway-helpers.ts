// Driving the real gateway from the Windows suite: the CLI as a child process, its files, its API.
import { spawn } from 'node:child_process';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { ENTRY_SCRIPT } from '../../src/version.js';
import { tempDir } from './win32-helpers.js';

export interface CliResult { code: number | null; stdout: string; stderr: string }

/** A fresh GATEHOUSE_HOME with a default profile whose config is `config`. */
export function gatewayHome(prefix: string, config: object): { home: string; profileDir: string } {
  const home = tempDir(prefix);
  const profileDir = join(home, 'profiles', 'default');
  mkdirSync(profileDir, { recursive: true });
  writeFileSync(join(profileDir, 'config.json'), JSON.stringify(config));
  return { home, profileDir };
}

/** `gatehouse ARGS` with GATEHOUSE_HOME=home, bounded; killed (and reported) when it overruns. */
export function runCli(home: string, args: readonly string[], timeoutMs: number): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ENTRY_SCRIPT, ...args], {
      env: { ...process.env, GATEHOUSE_HOME: home, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
    child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
    const timer = setTimeout(() => { child.kill(); reject(new Error(`gatehouse ${args.join(' ')} did not exit within ${timeoutMs} ms; stdout ${stdout} stderr ${stderr}`)); }, timeoutMs);
    child.on('error', (error) => { clearTimeout(timer); reject(error); });
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/** The pretty-printed JSON object in a CLI's output (warnings may be mixed in around it). */
export function jsonIn<T>(text: string): T {
  const match = /^\{[\s\S]*^\}/m.exec(text.replaceAll('\r\n', '\n'));
  if (match === null) throw new Error(`no JSON object in ${JSON.stringify(text)}`);
  return JSON.parse(match[0]) as T;
}

export function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

export function lifecycleEvents(profileDir: string): Array<Record<string, unknown> & { event: string }> {
  return readFileSync(join(profileDir, 'lifecycle.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '').flatMap((l) => {
    try { return [JSON.parse(l) as Record<string, unknown> & { event: string }]; } catch { return []; }
  });
}

/** An HTTP request through node:http (undici's fetch cannot connect under Wine 8). */
export function http(method: string, url: string, options: { token?: string; body?: unknown; timeoutMs?: number } = {}): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = request(url, {
      method, timeout: options.timeoutMs ?? 10_000,
      headers: { ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }), ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => { text += c; }).on('end', () => {
        try { resolve({ status: res.statusCode ?? 0, body: text === '' ? null : JSON.parse(text) }); } catch { resolve({ status: res.statusCode ?? 0, body: text }); }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer`)));
    req.on('error', reject);
    req.end(payload);
  });
}
