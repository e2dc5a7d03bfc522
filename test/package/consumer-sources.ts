// The consumer package the packaging test builds: TypeScript written against the published types,
// as another Node gateway would write it, and run as it is (Node 24 strips the types; the worker
// imports the agent's .ts file the same way). Kept as text, not compiled with the project, because
// it imports 'gatehouse' from the installed tarball, not from this checkout.

/** The consumer's own agent: a factory that uses its options and the context the worker gives it. */
// No parameter types: defineAgent gives them (strict mode would refuse implicit any otherwise).
export const AGENT_TS = `import { defineAgent, replied, type Agent } from 'gatehouse';

export default defineAgent((options, context): Agent => {
  const greeting = typeof options.greeting === 'string' ? options.greeting : 'hello';
  let answered = 0;
  return {
    async reply({ text, signal, onActivity }) {
      if (signal.aborted) throw signal.reason;
      onActivity();
      answered += 1;
      return replied(greeting + ' ' + text + ' (#' + answered + ', profile ' + context.profile + ')');
    },
  };
});
`;

/** Manage a gateway from code: config, start, status, a message and its reply, stop, status. */
export const MANAGE_TS = `import { GatehouseError, ERROR_CODES, start, status, send, stop, writeConfig, type GatewayStatus, type StartResult } from 'gatehouse';

const [home, agentModule, brokenModule] = process.argv.slice(2) as [string, string, string];
const target = { home, profile: 'a' };

let invalidConfig: string | null = null;
try {
  writeConfig(target, { api: { port: -1 } });
} catch (error) {
  invalidConfig = error instanceof GatehouseError && error.code === ERROR_CODES.CONFIG_INVALID ? error.message : 'wrong error: ' + String(error);
}
writeConfig(target, { api: { port: 0 }, agent: { kind: 'module', module: agentModule, options: { greeting: 'hi' } } });
const started: StartResult = await start(target);
const running: GatewayStatus = await status(target);
const first = await send('chat-1', 'there', { ...target, waitMs: 20_000 });
const second = await send('chat-1', 'again', { ...target, waitMs: 20_000 });
const stopped = await stop(target);
const after = await status(target);
const notRunning = await send('chat-1', 'nobody', { ...target, waitMs: 1_000 });

writeConfig({ home, profile: 'c' }, { api: { port: 0 }, agent: { kind: 'module', module: brokenModule } });
const broken = await start({ home, profile: 'c' });

process.stdout.write(JSON.stringify({ invalidConfig, started, running, first, second, stopped, after, notRunning, broken }) + '\\n');
`;

/**
 * The gateway inside the consumer's process: a message, a second runGateway refused, a stop from
 * code, one from the CLI, a full restart handed back to the host, and then the process must end by
 * itself (nothing left holding the event loop; a guard reports what leaked).
 */
export const EMBED_TS = `import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GatehouseError, runGateway, status, type GatewayExit } from 'gatehouse';

const [home, agentModule, cli] = process.argv.slice(2) as [string, string, string];
const target = { home, profile: 'b' };
const guard = setTimeout(() => {
  process.stdout.write(JSON.stringify({ leaked: process.getActiveResourcesInfo() }) + '\\n');
  process.exit(9);
}, 30_000);
guard.unref();

const first = await runGateway({ ...target, config: { api: { port: 0 }, agent: { kind: 'module', module: agentModule, options: { greeting: 'inside' } } } });
const id = await first.client.send('chat-2', 'hello');
const reply = await first.client.waitForReply('chat-2', id, 20_000);
const during = await status(target);
let secondRefused: string | null = null;
try {
  await runGateway(target);
} catch (error) {
  secondRefused = error instanceof GatehouseError ? error.code : String(error);
}
const stoppedByCode: GatewayExit = await first.stop();
const afterStop = await status(target);

const second = await runGateway(target);
const stopper = spawn(process.execPath, [cli, 'stop', '--profile', 'b'], { env: { ...process.env, GATEHOUSE_HOME: home }, stdio: 'ignore' });
const stopperCode = await new Promise<number | null>((resolve) => stopper.on('exit', resolve));
const stoppedByCli = await second.done;

const third = await runGateway(target);
const token = readFileSync(join(home, 'profiles', 'b', 'token'), 'utf8').trim();
const restart = await fetch(third.apiUrl + '/v1/admin/restart?full=1', { method: 'POST', headers: { authorization: 'Bearer ' + token } });
const fullRestart = await third.done;
const fourth = await runGateway(target);
const afterRestart = await fourth.client.waitForReply('chat-2', await fourth.client.send('chat-2', 'back'), 20_000);
const lastStop = await fourth.stop();

process.stdout.write(JSON.stringify({
  pid: process.pid, apiUrl: first.apiUrl, reply, during, secondRefused, stoppedByCode, afterStop,
  stopperCode, stoppedByCli, restartStatus: restart.status, fullRestart, afterRestart, lastStop,
}) + '\\n');
`;

/** Must not type-check: an agent whose reply gives a number, and a start option that does not exist. */
export const BAD_TS = `import { start, type Agent } from 'gatehouse';

export const agent: Agent = { async reply(request) { return request.text.length; } };
await start({ profile: 'a', timeout: 5 });
`;

export const BROKEN_AGENT_JS = 'export default { answer() { return 42; } };\n';

/** The consumer's tsconfig: strict, NodeNext, code Node can strip, the installed .d.ts files checked too. */
export function tsconfig(typeRoots: string): string {
  return JSON.stringify({
    compilerOptions: {
      target: 'ES2023', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2023'], strict: true,
      verbatimModuleSyntax: true, erasableSyntaxOnly: true, types: ['node'], typeRoots: [typeRoots],
      skipLibCheck: false, noEmit: true,
    },
    include: ['src/*.ts'],
  }, null, 2);
}
