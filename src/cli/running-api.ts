// The running gateway's HTTP API, for the commands that talk to it (send, dashboard): asked over the
// control endpoint, which also proves the token, so the API client is built with it. When there is
// none to talk to, the command's error is printed and its exit code set here.
import { EXIT } from '../exit-codes.js';
import type { ApiClient } from '../control/api-client.js';
import type { ProfilePaths } from '../paths.js';
import type { HelloReply } from '../runtime/protocol.js';
import { fail } from './output.js';

export interface RunningApi {
  readonly client: ApiClient;
  readonly apiUrl: string;
  readonly ApiError: typeof import('../control/api-client.js').ApiError;
}

/** The API of the profile's running gateway, or null (said, exit code set); `notDone` ends the "another user's process" error. */
export async function runningApi(paths: ProfilePaths, notDone: string): Promise<RunningApi | null> {
  const { controlTarget, requestStatus } = await import('../runtime/control-client.js');
  const target = controlTarget(paths);
  const asked = requestStatus(target);
  // The HTTP client (node:http) is loaded while the gateway answers.
  const { ApiClient, ApiError } = await import('../control/api-client.js');
  const status = await asked;
  if (!status.ok && status.kind === 'unproven') return sayUnproven(paths, status.claim, notDone);
  if (!status.ok || status.data.apiUrl === null) return sayNotRunning();
  const token = target.key as string; // proven by the status exchange
  return { client: new ApiClient(status.data.apiUrl, token), apiUrl: status.data.apiUrl, ApiError };
}

/** Nothing answers on the control endpoint: said, exit code set. */
export function sayNotRunning(): null {
  fail('gatehouse is not running', 'start it with `gatehouse start`');
  process.exitCode = EXIT.NOT_RUNNING;
  return null;
}

/** Something answers that cannot prove the token: who it is, as far as can be told, said; exit code set. */
export async function sayUnproven(paths: ProfilePaths, claim: HelloReply | undefined, notDone: string): Promise<null> {
  // Loaded only here: it reads the PID file and the process's identity, which a send never needs otherwise.
  const owner = (await import('../control/endpoint-owner.js')).explainUnproven(paths, claim);
  fail(`${owner.message}; ${notDone}`, owner.hint);
  process.exitCode = EXIT.FAILURE;
  return null;
}
