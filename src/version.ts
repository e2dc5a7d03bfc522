// The package version, read once from package.json next to the compiled code.
import { fileURLToPath } from 'node:url';

const { readFileSync } = process.getBuiltinModule('node:fs');

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0'; // embedded without its package.json: the version is informational only
  }
}

export const VERSION = readVersion();

/** The absolute entry script every respawn uses (never a PATH shim). */
export const ENTRY_SCRIPT = fileURLToPath(new URL('./cli/main.js', import.meta.url));

/** The package's bin script (it imports ENTRY_SCRIPT): what `npx gatehouse` and `bin/gatehouse.js run` execute. */
export const BIN_SCRIPT = fileURLToPath(new URL('../../bin/gatehouse.js', import.meta.url));
