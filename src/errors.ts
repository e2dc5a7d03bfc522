// Errors with stable codes. Callers branch on `code`, never on message text.
const kGatehouseError = Symbol.for('gatehouse.error');

export const ERROR_CODES = {
  CONFIG_INVALID: 'GH_CONFIG_INVALID',
  HOME_UNWRITABLE: 'GH_HOME_UNWRITABLE',
  /** A home, profile directory or secret file belongs to another user: never trusted. */
  NOT_OWNED: 'GH_NOT_OWNED',
  /** The token file cannot be used (a directory, unreadable). */
  TOKEN_UNUSABLE: 'GH_TOKEN_UNUSABLE',
  PORT_IN_USE: 'GH_PORT_IN_USE',
  ALREADY_RUNNING: 'GH_ALREADY_RUNNING',
  NOT_RUNNING: 'GH_NOT_RUNNING',
  CONTROL_TIMEOUT: 'GH_CONTROL_TIMEOUT',
  CONTROL_REFUSED: 'GH_CONTROL_REFUSED',
  CONTROL_UNAUTHORIZED: 'GH_CONTROL_UNAUTHORIZED',
  /** The control endpoint is held by a process that cannot prove it knows the profile's token. */
  ENDPOINT_FOREIGN: 'GH_ENDPOINT_FOREIGN',
  START_FAILED: 'GH_START_FAILED',
  STOP_FAILED: 'GH_STOP_FAILED',
  USAGE: 'GH_USAGE',
  UNSUPPORTED: 'GH_UNSUPPORTED',
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

export class GatehouseError extends Error {
  readonly code: ErrorCode;
  /** What the user can do about it, one line. */
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatehouseError';
    this.code = code;
    this.hint = options.hint;
    Object.defineProperty(this, kGatehouseError, { value: true });
  }

  // Works across realms and duplicated module copies, unlike a plain instanceof.
  static override [Symbol.hasInstance](instance: unknown): boolean {
    return typeof instance === 'object' && instance !== null && (instance as Record<symbol, unknown>)[kGatehouseError] === true;
  }
}

export function isErrnoException(error: unknown, code?: string): error is NodeJS.ErrnoException {
  if (!(error instanceof Error) || !('code' in error)) return false;
  return code === undefined || (error as NodeJS.ErrnoException).code === code;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A value the target format cannot carry: CR/LF in a one-line service definition, NUL or an unpaired
 * surrogate anywhere, NUL on a Windows command line.
 */
export class UnrepresentableError extends Error {
  readonly code = 'GH_SERVICE_UNREPRESENTABLE';
  constructor(message: string) {
    super(message);
    this.name = 'UnrepresentableError';
  }
}

/** A definition's (or a Windows command line's) text that is not ours or not well-formed. */
export class DefinitionParseError extends Error {
  readonly code = 'GH_SERVICE_PARSE';
  constructor(message: string) {
    super(message);
    this.name = 'DefinitionParseError';
  }
}
