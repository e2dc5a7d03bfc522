// The gateway log's size limit, shared by `start` (which opens the log as a detached monitor's
// output) and the monitor.
/** The gateway log is moved to gateway.log.1 once it is past this size. */
export const MAX_GATEWAY_LOG_BYTES = 10 * 1024 * 1024;
