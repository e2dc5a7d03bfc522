// The gateway log rotates on Windows too, under Wine: the monitor writes the worker's output (its
// stdout and stderr are pipes there as everywhere) and renames the file while `logs -f` holds it
// open (Node opens files sharing delete, and the monitor closes it after each write). A module
// agent writes numbered lines and notes each in a ledger; each must be in exactly one log file.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { killProcessTree } from '../../src/runtime/process-tree.js';
import { ENTRY_SCRIPT } from '../../src/version.js';
import { gatewayHome, http, readJson, runCli } from './gateway-helpers.js';
import { skipUnlessWin32, waitFor } from './win32-helpers.js';

const CLI_TIMEOUT_MS = 90_000;
const MAX_BYTES = 1024;
const MESSAGES = 40;

test('the log rotates while the gateway runs and logs -f holds it open: every line in exactly one file', { skip: skipUnlessWin32, timeout: 400_000 }, async () => {
  const { home, profileDir } = gatewayHome('log-rotation', {});
  const ledger = join(home, 'ledger.txt');
  const agent = join(home, 'probe-agent.mjs');
  writeFileSync(agent, `import { appendFileSync, writeSync } from 'node:fs';
let n = 0;
const probe = (fd) => { const id = process.pid + '-' + (++n); writeSync(fd, (fd === 1 ? '{"level":30,"msg":"probe id=' + id + ' x"}' : 'probe id=' + id + ' on stderr') + '\\n'); appendFileSync(${JSON.stringify(ledger)}, id + '\\n'); };
export default { async reply({ text }) { probe(1); probe(2); return { ok: true, text: 'ok ' + text, error: null }; } };
`);
  writeFileSync(join(profileDir, 'config.json'), JSON.stringify({ api: { port: 0 }, agent: { kind: 'module', module: agent }, log: { maxBytes: MAX_BYTES, keep: 50 } }));
  const log = join(profileDir, 'logs', 'gateway.log');
  let follower: ReturnType<typeof spawn> | null = null;
  try {
    const started = await runCli(home, ['start', '--json', '--timeout', '80'], CLI_TIMEOUT_MS);
    assert.equal(started.code, 0, started.stdout + started.stderr);
    follower = spawn(process.execPath, [ENTRY_SCRIPT, 'logs', '-f', '-n', '1', '--raw'], { env: { ...process.env, GATEHOUSE_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    let followed = '';
    follower.stdout!.setEncoding('utf8').on('data', (chunk: string) => { followed += chunk; });
    // It prints the last line, then follows from there: only then do the messages start.
    await waitFor('logs -f to start', 60_000, () => (followed !== '' ? true : undefined));
    const state = readJson<{ api: { url: string } }>(join(profileDir, 'state.json'));
    const token = readFileSync(join(profileDir, 'token'), 'utf8').trim();
    for (let i = 1; i <= MESSAGES; i++) {
      const sent = await http('POST', `${state.api.url}/v1/sessions/s/messages`, { token, body: { text: `message ${i}` } });
      assert.equal(sent.status, 202, JSON.stringify(sent.body));
    }
    for (const deadline = Date.now() + 120_000; ;) {
      const session = await http('GET', `${state.api.url}/v1/sessions/s`, { token });
      const replies = (session.body as { messages: Array<{ role: string }> }).messages.filter((m) => m.role === 'assistant').length;
      if (replies === MESSAGES) break;
      assert.ok(Date.now() < deadline, `only ${replies} of ${MESSAGES} messages answered`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const written = readFileSync(ledger, 'utf8').split(/\r?\n/).filter((l) => l !== '');
    await waitFor('logs -f to show every line', 60_000, () => (written.every((id) => followed.includes(`probe id=${id} `)) ? true : undefined));
    const stop = await runCli(home, ['stop'], CLI_TIMEOUT_MS);
    assert.equal(stop.code, 0, stop.stdout + stop.stderr);

    const rotated = readdirSync(join(profileDir, 'logs')).filter((name) => /^gateway\.log\.\d+$/.test(name)).length;
    assert.ok(rotated >= 2, `rotated while running (${rotated} rotated files)`);
    const files = [...Array.from({ length: rotated }, (_, i) => `${log}.${rotated - i}`), log];
    for (const file of files) assert.ok(existsSync(file) && statSync(file).size <= MAX_BYTES, `${file} within ${MAX_BYTES} bytes`);
    const text = files.map((file) => readFileSync(file, 'utf8')).join('');
    for (const id of written) assert.equal(text.split(`probe id=${id} `).length - 1, 1, `probe ${id} in exactly one file`);
    for (const id of written) assert.equal(followed.split(`probe id=${id} `).length - 1, 1, `logs -f showed ${id} once`);
  } finally {
    follower?.kill();
    if (existsSync(join(profileDir, 'gatehouse.pid'))) killProcessTree(readJson(join(profileDir, 'gatehouse.pid')), 'SIGKILL');
  }
});
