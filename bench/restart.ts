// `npm run bench`: how Gatehouse and PM2 behave under load while their app is restarted or killed.
//
// For each scenario a separate load process (dist/bench/load.js) keeps a few keep-alive connections
// busy against 127.0.0.1 (GET /healthz and POST /v1/sessions/{id}/messages at a bounded rate);
// after a warm-up the orchestrator causes the event (`gatehouse restart`, SIGKILL of the worker,
// `pm2 restart`, `pm2 reload`, SIGKILL of the app), waits until a new process answers, lets the load
// run a little longer, and computes failed requests, the longest interval without a successful
// answer, and the time until it answered again (bench/measure.ts). Start times (spawn to first 200)
// of a bare `node app.js` (the floor), of `gatehouse start` and of `pm2 start` come first.
//
// Everything is bounded: each wait, each CLI call and each load run has a deadline; every process
// started here is killed in `finally` (identity-checked), PM2 gets `pm2 kill` with its own
// PM2_HOME, and temporary directories are removed. Exit 1 when a scenario could not run.
//
// This file only parses options, runs the scenarios in order and prints the report; the pieces are
// processes.ts (children, cleanups, CLI runs), net.ts, app.ts, under-load.ts, report.ts and the
// scenarios-*.ts files.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeApp } from './app.js';
import { now } from './clock.js';
import { abortRunning, onCleanup, runCleanups } from './processes.js';
import { renderReport, type Report } from './report.js';
import { floor } from './scenarios-floor.js';
import { gatehouse } from './scenarios-gatehouse.js';
import { findPm2, pm2 } from './scenarios-pm2.js';
import { lean } from './scenarios-lean.js';
import { starts } from './scenarios-start.js';
import { gatehouseCrashes, pm2Crashes } from './scenarios-crash.js';
import type { LoadOptions } from './under-load.js';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      connections: { type: 'string', default: '4' },
      interval: { type: 'string', default: '8' },
      samples: { type: 'string' },
      only: { type: 'string' },
    },
  });
  if (values.only !== undefined && !['lean', 'start', 'crash'].includes(values.only)) throw new Error('--only: lean, start or crash');
  const load: LoadOptions = { connections: Number(values.connections), intervalMs: Number(values.interval), samplesDir: values.samples ?? null };
  if (load.samplesDir !== null) mkdirSync(load.samplesDir, { recursive: true });
  if (!Number.isInteger(load.connections) || load.connections < 1 || load.connections > 16) throw new Error('--connections: 1..16');
  if (!Number.isFinite(load.intervalMs) || load.intervalMs < 1 || load.intervalMs > 1000) throw new Error('--interval: 1..1000 ms');

  const benchStarted = now();
  const report: Report = { rows: [], failures: [] };
  const found = findPm2();
  const appDir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-app-'));
  onCleanup('app dir', () => rmSync(appDir, { recursive: true, force: true }));
  const appFile = writeApp(appDir);

  try {
    // --only lean: just the CLI-time and memory section (a quick look while working on them);
    // --only start: just the start comparison, round after round (bench/scenarios-start.ts);
    // --only crash: just crash recovery (bench/scenarios-crash.ts).
    const only = values.only;
    if (only === 'start') {
      await starts(report, appDir, appFile, found);
    } else {
      if (only === undefined) {
        await floor(report, appDir, appFile);
        await gatehouse(report, load);
        await pm2(report, load, appDir, appFile, found);
      }
      if (only === undefined || only === 'crash') {
        await gatehouseCrashes(report, load, true);
        await gatehouseCrashes(report, load, false);
        await pm2Crashes(report, load, appDir, appFile, found);
      }
      if (only === undefined || only === 'lean') await lean(report, appDir, appFile, found);
    }
  } finally {
    await runCleanups();
  }

  const text = renderReport(report, now() - benchStarted, found?.version ?? null, load);
  process.stdout.write(`${text}\n`);
  if (values.out !== undefined) writeFileSync(values.out, text);
  if (report.failures.length > 0) {
    process.stderr.write(`[bench] ${report.failures.length} scenario(s) could not run:\n${report.failures.map((f) => `  - ${f}`).join('\n')}\n`);
    return 1;
  }
  return 0;
}

// A signal must still tear down the gateway and the PM2 daemon, which would otherwise outlive us.
let exiting = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (exiting) return;
    exiting = true;
    process.stderr.write(`[bench] ${signal}: cleaning up\n`);
    abortRunning();
    void runCleanups().finally(() => process.exit(130));
  });
}

main()
  .then((code) => { process.exitCode = code; })
  .catch(async (error: unknown) => {
    process.stderr.write(`[bench] failed: ${(error as Error).stack ?? String(error)}\n`);
    await runCleanups();
    process.exitCode = 1;
  });
