// Gatehouse as another program uses it: `npm pack` of this build, a separate package in a temp dir
// that installs the tarball (offline, from the npm cache that `npm ci` filled, with the versions of
// this project's lockfile), TypeScript written against the shipped .d.ts files, then a real gateway
// managed from that code with the consumer's own agent module, and the packed CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readPidFile } from '../../src/runtime/pid-file.js';
import { collect, TestHome, type CliResult } from '../e2e/harness.js';
import { AGENT_TS, BAD_TS, BROKEN_AGENT_JS, EMBED_TS, MANAGE_TS, tsconfig } from './consumer-sources.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
/** Each step (npm pack, npm ci, tsc, the consumer) is bounded; under a loaded machine npm ci and tsc take tens of seconds. */
const STEP_TIMEOUT_MS = 150_000;
const TEST_TIMEOUT_MS = 300_000;

interface PackedFile { readonly path: string }
interface LockEntry { readonly dev?: boolean; readonly [key: string]: unknown }

/** A command with this Node first on PATH (npm runs install scripts with `node`). */
function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
  const path = `${dirname(process.execPath)}:${env.PATH ?? ''}`;
  const child = spawn(command, args, { cwd, env: { ...env, PATH: path }, stdio: ['ignore', 'pipe', 'pipe'] });
  return collect(child, STEP_TIMEOUT_MS);
}

function must(result: CliResult, what: string): CliResult {
  assert.equal(result.code, 0, `${what} failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
  return result;
}

/**
 * The consumer's lockfile: gatehouse from the tarball, and its dependencies exactly as this project's
 * lockfile has them (integrity included), so `npm ci --offline` needs nothing but the npm cache.
 */
function consumerLock(tarball: string): unknown {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  const runtime = Object.entries(lock.packages).filter(([path, entry]) => path !== '' && entry.dev !== true);
  return {
    name: 'consumer', version: '1.0.0', lockfileVersion: 3, requires: true,
    packages: {
      '': { name: 'consumer', version: '1.0.0', dependencies: { gatehouse: `file:${tarball}` } },
      'node_modules/gatehouse': {
        version: pkg.version, resolved: `file:${tarball}`, license: pkg.license,
        dependencies: pkg.dependencies, bin: pkg.bin, engines: pkg.engines,
      },
      ...Object.fromEntries(runtime),
    },
  };
}

test('a separate package installs the packed tarball, type-checks against its .d.ts, and runs a gateway with its own agent', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  assert.ok(process.features.typescript, `the consumer's TypeScript runs as it is, which needs Node >= 23.6 (this is ${process.version})`);
  const home = new TestHome();
  t.after(async () => {
    // Whatever a failed run left behind: the consumer's profiles, by PID file identity.
    await home.cleanup();
  });
  const work = join(home.home, 'work');
  const consumer = join(work, 'consumer');
  mkdirSync(join(consumer, 'src'), { recursive: true });

  // The package: what `npm pack` puts in it.
  const pack = must(await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], ROOT), 'npm pack');
  const [packed] = JSON.parse(pack.stdout) as Array<{ filename: string; files: PackedFile[] }>;
  assert.ok(packed !== undefined);
  const files = packed.files.map((f) => f.path);
  for (const needed of ['package.json', 'README.md', 'bin/gatehouse.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js', 'dist/src/gateway/agents/module.d.ts', 'assets/dashboard/index.html', 'assets/dashboard/app.js', 'assets/dashboard/charts.js', 'assets/dashboard/app.css']) {
    assert.ok(files.includes(needed), `${needed} is in the package`);
  }
  const unwanted = files.filter((f) => !(f.startsWith('dist/src/') || f.startsWith('bin/') || f.startsWith('assets/dashboard/') || ['package.json', 'README.md', 'LICENSE'].includes(f)) || f.endsWith('.map'));
  assert.deepEqual(unwanted, [], 'no tests, benchmarks, sources, scripts or source maps in the package (the dashboard page ships as it is)');

  // The consumer package, installed offline from the cache.
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({
    name: 'consumer', version: '1.0.0', private: true, type: 'module',
    dependencies: { gatehouse: `file:../${packed.filename}` }, allowScripts: { koffi: true },
  }, null, 2));
  writeFileSync(join(consumer, 'package-lock.json'), JSON.stringify(consumerLock(`../${packed.filename}`), null, 2));
  must(await run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], consumer), 'npm ci --offline in the consumer');

  // TypeScript against the shipped types: the consumer's code checks, the wrong code is refused.
  writeFileSync(join(consumer, 'src', 'agent.ts'), AGENT_TS);
  writeFileSync(join(consumer, 'src', 'manage.ts'), MANAGE_TS);
  writeFileSync(join(consumer, 'src', 'embed.ts'), EMBED_TS);
  writeFileSync(join(consumer, 'src', 'bad.ts'), BAD_TS);
  writeFileSync(join(consumer, 'tsconfig.json'), tsconfig(join(ROOT, 'node_modules', '@types')));
  const typecheck = await run(process.execPath, [TSC, '--noEmit', '-p', 'tsconfig.json'], consumer);
  const errors = typecheck.stdout.split('\n').filter((line) => /error TS\d+/.test(line));
  assert.equal(typecheck.code, 2, typecheck.stdout + typecheck.stderr);
  assert.equal(errors.length, 2, typecheck.stdout);
  assert.match(errors[0] ?? '', /^src\/bad\.ts\(3,.*TS2322.*number/);
  assert.match(errors[1] ?? '', /^src\/bad\.ts\(4,.*'timeout' does not exist/);

  // The consumer manages a real gateway; its home is given in code, not in the environment.
  const broken = join(consumer, 'broken-agent.mjs');
  writeFileSync(broken, BROKEN_AGENT_JS);
  const env = home.env();
  delete env.GATEHOUSE_HOME;
  const managed = must(await run(process.execPath, ['src/manage.ts', home.home, join(consumer, 'src', 'agent.ts'), broken], consumer, env), 'the consumer');
  const result = JSON.parse(managed.stdout) as Record<string, Record<string, unknown> & { reply?: { text: string } }>;
  assert.equal(managed.stderr, '', 'the library prints nothing');
  assert.match(String(result.invalidConfig), /api\.port/);
  assert.equal(result.started?.ok, true, JSON.stringify(result.started));
  assert.equal(result.running?.running, true);
  assert.equal(result.running?.state, 'running');
  assert.equal(result.running?.pid, result.started?.pid);
  assert.equal(result.first?.reply?.text, 'hi there (#1, profile a)');
  assert.equal(result.second?.reply?.text, 'hi again (#2, profile a)');
  assert.equal(result.stopped?.ok, true, JSON.stringify(result.stopped));
  assert.equal(result.after?.running, false);
  assert.equal(result.after?.state, 'stopped');
  assert.equal(result.notRunning?.exitCode, 3);
  assert.equal(result.broken?.ok, false);
  assert.equal(result.broken?.exitCode, 78);
  assert.match(JSON.stringify(result.broken?.details), /broken-agent\.mjs: its default export is an object with answer but no reply method/);
  assert.equal(readPidFile(home.paths('a').pidFile).kind, 'missing', 'the stopped gateway removed its PID file');

  // The packed CLI works from the consumer's node_modules, on the same profile.
  const bin = join(consumer, 'node_modules', 'gatehouse', 'bin', 'gatehouse.js');
  const cliStatus = await run(process.execPath, [bin, 'status', '--profile', 'a', '--json'], consumer, home.env());
  assert.equal(cliStatus.code, 3, cliStatus.stdout + cliStatus.stderr);
  assert.equal((JSON.parse(cliStatus.stdout) as { state: string }).state, 'stopped');

  // The gateway in the consumer's own process, which must end by itself once the gateway is stopped.
  const embedded = must(await run(process.execPath, ['src/embed.ts', home.home, join(consumer, 'src', 'agent.ts'), bin], consumer, env), 'the embedding consumer');
  assert.equal(embedded.stderr, '', 'neither the monitor nor its worker prints in the host');
  const inside = JSON.parse(embedded.stdout) as Record<string, Record<string, unknown> & { text?: string }> & { pid: number; secondRefused: string; stopperCode: number; restartStatus: number };
  assert.equal(inside.reply?.text, 'inside hello (#1, profile b)');
  assert.equal(inside.during?.running, true);
  assert.equal(inside.during?.pid, inside.pid, 'the monitor is the host process');
  assert.equal(inside.during?.api && (inside.during.api as { url: string }).url, inside.apiUrl);
  assert.equal(inside.secondRefused, 'GH_ALREADY_RUNNING');
  assert.deepEqual(inside.stoppedByCode, { exitCode: 0, reason: 'stopped by the host program', restartRequested: false });
  assert.equal(inside.afterStop?.state, 'stopped');
  assert.equal(inside.stopperCode, 0);
  assert.equal(inside.stoppedByCli?.exitCode, 0);
  assert.match(String(inside.stoppedByCli?.reason), /gatehouse stop/);
  assert.equal(inside.restartStatus, 202);
  assert.equal(inside.fullRestart?.exitCode, 75);
  assert.equal(inside.fullRestart?.restartRequested, true);
  assert.equal(inside.afterRestart?.text, 'inside back (#1, profile b)');
  assert.equal(inside.lastStop?.exitCode, 0);
  assert.equal(readPidFile(home.paths('b').pidFile).kind, 'missing');
});
