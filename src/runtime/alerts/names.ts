// Names shared by the CLI and the gateway, in a module that loads nothing.
/** The hidden command the detached alert sender runs. */
export const ALERT_SEND_COMMAND = '__alert-send';
