// Where the benchmark finds the repository, the CLI and the load generator, from dist/bench/.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The repository root: dist/bench/ -> ../.. */
export const ROOT = resolve(HERE, '..', '..');
export const GATEHOUSE = join(ROOT, 'bin', 'gatehouse.js');
/** Compiled next to this file, so it is found the same way from any working directory. */
export const LOAD = join(HERE, 'load.js');
