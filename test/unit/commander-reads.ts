// What the full CLI makes of a command line, to hold the readers that do without commander
// (src/cli/fast-args.ts) to it: the options commander parsed and the arguments by their names.
import assert from 'node:assert/strict';
import { buildProgram } from '../../src/cli/program.js';

/** What commander makes of `args` for the command `args[0]` names, its action left out. */
async function commanderReads(args: readonly string[]): Promise<Record<string, unknown>> {
  const program = buildProgram();
  const command = program.commands.find((c) => c.name() === args[0])!;
  let read: Record<string, unknown> = {};
  command.action((...given: unknown[]) => {
    const names = command.registeredArguments.map((argument) => argument.name());
    read = { ...command.opts(), ...Object.fromEntries(names.map((name, i) => [name, given[i]])) };
  });
  await program.parseAsync([...args], { from: 'user' });
  return read;
}

/** Each of `lines` read by `parse` (not left to the full CLI) to what commander reads. */
export async function assertReadAsCommander(parse: (args: readonly string[]) => object | null, lines: ReadonlyArray<readonly string[]>): Promise<void> {
  for (const args of lines) {
    const fast = parse(args);
    assert.notEqual(fast, null, args.join(' '));
    assert.deepEqual({ ...fast }, await commanderReads(args), args.join(' '));
  }
}
