// The floor: how long a bare `node app.js` takes from spawn to its first 200, the best any manager can do.
import { now } from './clock.js';
import { median } from './measure.js';
import { HOST, START_TIMEOUT_MS, first200, freePort } from './net.js';
import { startProcess } from './processes.js';
import { attempt, round, startRow, type Report } from './report.js';

/** A median of a few runs, since one start on a busy machine says little. */
const FLOOR_RUNS = 3;

/** One bare `node app.js`: spawn to its first 200, in ms; killed after. */
export async function bareStartMs(appDir: string, appFile: string): Promise<number> {
  const port = await freePort();
  const started = now();
  const child = startProcess(process.execPath, [appFile], { cwd: appDir, env: { ...process.env, PORT: String(port) }, stdio: 'ignore' });
  try {
    const at = await first200(`http://${HOST}:${port}`, START_TIMEOUT_MS, () => child.exitCode !== null);
    if (at === null) throw new Error('the app never answered 200');
    return at - started;
  } finally {
    child.kill('SIGKILL');
  }
}

export async function floor(report: Report, appDir: string, appFile: string): Promise<void> {
  await attempt(report, 'node', 'bare `node app.js` start, spawn → first 200 (floor)', async () => {
    const times: number[] = [];
    for (let i = 0; i < FLOOR_RUNS; i++) {
      times.push(await bareStartMs(appDir, appFile));
    }
    return startRow('node', `bare \`node app.js\` start, spawn → first 200 (floor)`, median(times), [`median of ${FLOOR_RUNS}: ${times.map(round).join(', ')} ms`]);
  });
}
