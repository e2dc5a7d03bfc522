// Sending a signal through Node, the same on every OS: false when the process is already gone.
import { isErrnoException } from '../errors.js';

/** Send a signal; ESRCH means it is already gone. Callers check identity first. */
export function sendSignal(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (error) {
    if (isErrnoException(error, 'ESRCH')) return false;
    throw error;
  }
}
