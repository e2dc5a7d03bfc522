// Where a profile's control endpoint is, for each OS: a pure function of the profile directory, the
// user and the OS. Apart from the platform implementations (posix.ts, win32.ts use it too) because
// every CLI call asks it first: `status` and `send` find the endpoint without loading the process
// layer (Toolhelp, kernel32, /proc readers, the spawner), which they need only when no gateway
// answers. node:crypto is taken on the first name computed, not when this module loads.
import { join, resolve } from 'node:path';
import { tmpdir, userInfo } from 'node:os';
import type { ControlEndpoint } from './types.js';

// sockaddr_un.sun_path holds 104 bytes on macOS and 108 on Linux, terminator included.
const MAX_SOCKET_PATH = 100;

const sha256Hex = (text: string): string => process.getBuiltinModule('node:crypto').createHash('sha256').update(text).digest('hex');

/** POSIX: the user's uid and the profile path key the name. */
function posixHash(profileDir: string): string {
  return sha256Hex(`${userInfo().uid}\0${profileDir}`).slice(0, 24);
}

/** Windows names are global per machine: the user and the profile path (case-folded, as Windows paths are) key them. */
export function windowsObjectHash(profileDir: string): string {
  const user = `${process.env.USERDOMAIN ?? ''}\\${userInfo().username}`.toLowerCase();
  return sha256Hex(`${user}\0${resolve(profileDir).toLowerCase()}`).slice(0, 24);
}

/** Linux's abstract socket namespace: the kernel frees the name when the owner dies, so no stale file. */
export function abstractEndpoint(profileDir: string): ControlEndpoint {
  return { address: `\0gatehouse-${posixHash(profileDir)}`, needsOwnershipCheck: false, file: null };
}

/** A socket file, next to the profile when the path is short enough, else in the temp dir. */
export function fileEndpoint(profileDir: string): ControlEndpoint {
  let file = join(profileDir, 'control.sock');
  if (Buffer.byteLength(file) > MAX_SOCKET_PATH) file = join(tmpdir(), `gatehouse-${posixHash(profileDir)}.sock`);
  return { address: file, needsOwnershipCheck: true, file };
}

/**
 * A named pipe. Any local user may open one, and Wine 8 lets a second server listen on the same
 * name: the owner checks who answers, and the lock is the named mutex, not the pipe.
 */
export function pipeEndpoint(profileDir: string): ControlEndpoint {
  return { address: `\\\\.\\pipe\\gatehouse-${windowsObjectHash(profileDir)}`, needsOwnershipCheck: true, file: null };
}

/** The endpoint of a profile directory on `os` (the platform's controlEndpoint is this for its own OS). */
export function controlEndpointFor(profileDir: string, os: NodeJS.Platform = process.platform): ControlEndpoint {
  return os === 'linux' ? abstractEndpoint(profileDir) : os === 'win32' ? pipeEndpoint(profileDir) : fileEndpoint(profileDir);
}
