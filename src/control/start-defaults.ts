// The start command's defaults, apart from the start code so that the CLI can show them in --help
// without loading what starting needs.
export const DEFAULT_START_TIMEOUT_MS = 30_000;
/** The first answer must survive this long: a gateway that answers and dies is not started. */
export const DEFAULT_START_CONFIRM_MS = 1_000;
