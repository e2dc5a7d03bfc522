const { openSync, closeSync } = process.getBuiltinModule('node:fs');
// Test-only fault hook: lets the end-to-end tests stop the gateway at an exact step of the chat
// path, which no outside timing can do reliably. GATEHOUSE_TEST_FAULT="<step>:<target>:<marker>"
// SIGKILLs, the first time <step> is reached, the worker (target `worker`) or the monitor and then
// the worker (target `gateway`). <marker> is a file created just before the kill, so the respawned
// worker (which inherits the variable) does not kill itself again. Unset, it costs one lookup.

export const FAULT_ENV = 'GATEHOUSE_TEST_FAULT';

export type FaultStep =
  /** getUpdates answered with updates; none committed yet. */
  | 'after-fetch'
  /** Telegram's update ids started over and the new sequence is recorded; its first update not yet committed. */
  | 'new-sequence'
  /** An update was committed; the next getUpdates (which confirms it to Telegram) not yet sent. */
  | 'after-commit'
  /** A reply was turned into outbox parts; nothing sent. */
  | 'after-outbox'
  /** A part was confirmed by Telegram and recorded; the next part of the same reply not yet sent. */
  | 'between-parts';

interface Fault { readonly step: string; readonly target: string; readonly marker: string }

function parse(value: string | undefined): Fault | null {
  if (value === undefined || value === '') return null;
  const [step, target, ...rest] = value.split(':');
  if (step === undefined || target === undefined || rest.length === 0) return null;
  return { step, target, marker: rest.join(':') };
}

const fault = parse(process.env[FAULT_ENV]);

export function faultPoint(step: FaultStep): void {
  if (fault === null || fault.step !== step) return;
  try {
    closeSync(openSync(fault.marker, 'wx'));
  } catch {
    return; // already fired once
  }
  if (fault.target === 'gateway') process.kill(process.ppid, 'SIGKILL');
  process.kill(process.pid, 'SIGKILL');
}
