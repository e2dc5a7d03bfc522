// The commands scripts call in loops, `status` and `send`, in one module: `npm run build` bundles
// this file with what those two load on their common path (scripts/bundle-cli.js), so that a call
// reads one file from the compile cache instead of resolving, reading and linking some thirty. Built
// by tsc alone (no bundle step), it is these re-exports and works the same, only slower.
export { parseStatusCommand, statusCommand } from './status-command.js';
export { parseSendCommand, sendCommand } from './send-command.js';
