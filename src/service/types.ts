// The narrow interface every autostart backend (systemd user unit, LaunchAgent, Scheduled Task,
// Startup-folder entry) implements, and the one spec they all render from. Nothing here touches the
// OS: backends are built from this, and `install --print` is render() without install().

export type ServiceKind = 'systemd-user' | 'launchd' | 'windows-task' | 'windows-startup';

/** What a service definition says, independent of the mechanism. Read back by every parser. */
export interface ServiceSpec {
  /** Gatehouse profile this definition starts (one definition per profile). */
  readonly profile: string;
  /** Absolute path of the node executable (process.execPath at install time). */
  readonly nodePath: string;
  /** Absolute path of the gatehouse entry script. */
  readonly entryScript: string;
  /** Arguments after the entry script, e.g. ['run', '--profile', 'default']. */
  readonly args: readonly string[];
  /**
   * Non-secret environment only (GATEHOUSE_HOME, GATEHOUSE_SUPERVISED=1). Service definitions are
   * readable by other tools and end up in bug reports: tokens stay in the profile's 0600 files.
   */
  readonly env: Readonly<Record<string, string>>;
  /** Absolute working directory of the monitor. */
  readonly workingDirectory: string;
  /** How long a stop may drain in-flight work; the manager's stop timeout must exceed it. */
  readonly drainTimeoutMs: number;
  /** Absolute directory for the manager's stdout/stderr capture (launchd; informative elsewhere). */
  readonly logDir: string;
}

/** One file a backend writes. `mode` is a POSIX permission (ignored on Windows). */
export interface RenderedDefinition {
  readonly path: string;
  /** Text for text formats; bytes where the encoding matters (task XML is UTF-16LE with a BOM). */
  readonly content: string | Uint8Array;
  readonly mode: number;
  /** What this file is, for `install --print` and `status --deep`. */
  readonly role: string;
}

/** A parsed definition: the spec when the text is ours and complete, or why it is not. */
export type ParsedDefinition =
  | { readonly ok: true; readonly spec: ServiceSpec }
  | { readonly ok: false; readonly reason: string };

/**
 * One shape for success and failure of every manager call (install, start, ...). `detail` is for
 * humans; callers branch on ok/exitCode/timedOut, never on its text.
 */
export interface ServiceResult {
  readonly ok: boolean;
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly detail: string;
}

export type ServiceState = 'running' | 'stopped' | 'not-installed' | 'unknown';

export interface ServiceStatus {
  readonly kind: ServiceKind;
  readonly installed: boolean;
  readonly enabled: boolean;
  readonly state: ServiceState;
  /** Files that make up the installed definition, for `status --deep`. */
  readonly files: readonly string[];
  /** What the manager said, verbatim enough to debug, never parsed by callers. */
  readonly detail: string;
}

export interface InstallOptions {
  /** Start now (default true); `--no-start` separates installing from starting. */
  readonly start: boolean;
  /** Start at login (default true); `--no-login` writes the definition without enabling it. */
  readonly login: boolean;
}

/** Whether a Linux user manager outlives the login session; `unknown` when it cannot be checked. */
export interface LingerStatus {
  readonly state: 'on' | 'off' | 'unknown';
  readonly detail: string;
  /** The command that turns it on, when it is off. */
  readonly enableCommand?: string;
}

export interface ServiceBackend {
  readonly kind: ServiceKind;
  /** Every file the definition consists of, with its content: pure, touches nothing. */
  render(spec: ServiceSpec): RenderedDefinition[];
  /** Read back the main definition file's text (as written by render) into a spec. */
  parse(content: string | Uint8Array): ParsedDefinition;
  /** Write, register and (per options) enable and start. Idempotent; repairs drift. */
  install(spec: ServiceSpec, options: InstallOptions): Promise<ServiceResult>;
  /** Remove every track this backend ever installed for the profile. */
  uninstall(profile: string): Promise<ServiceResult>;
  isInstalled(profile: string): Promise<boolean>;
  isEnabled(profile: string): Promise<boolean>;
  start(profile: string): Promise<ServiceResult>;
  stop(profile: string): Promise<ServiceResult>;
  restart(profile: string): Promise<ServiceResult>;
  status(profile: string): Promise<ServiceStatus>;
  /** systemd only: whether the manager keeps running after logout. Absent elsewhere. */
  lingerStatus?(): LingerStatus;
  /**
   * Can the manager be reached at all? null when it can; else why not. Asked before `install`
   * changes anything (stops a hand-started gateway, writes a file). Absent: nothing to ask.
   */
  reachable?(): ServiceResult | null;
}
