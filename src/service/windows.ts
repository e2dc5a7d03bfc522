// Windows autostart: a Scheduled Task when it can be registered, else the Startup folder. Exactly
// one track is installed at a time, recorded in a manifest in the profile directory
// (autostart.json), so status and start know which one runs; uninstall removes both tracks whatever
// the manifest says (a lost or stale manifest must not leave a track behind).
import { join } from 'node:path';
import { writeJsonFile } from '../fs-util.js';
import { errorMessage } from '../errors.js';
import type { InstallOptions, ServiceBackend, ServiceResult, ServiceSpec, ServiceStatus } from './types.js';
import type { WindowsTrack } from './windows-task.js';

const { readFileSync, rmSync } = process.getBuiltinModule('node:fs');

export const MANIFEST_FILE = 'autostart.json';

export type WindowsTrackKind = 'windows-task' | 'windows-startup';

export interface AutostartManifest {
  readonly kind: WindowsTrackKind;
  readonly installedAt: string;
  /** Why the task track was not used, when the Startup folder is the fallback. */
  readonly fallbackReason: string | null;
  /** A track that should be gone but could not be removed (it is retried by the next install). */
  readonly leftover: WindowsTrackKind | null;
}

export interface WindowsBackendOptions {
  readonly task: WindowsTrack;
  readonly startup: WindowsTrack;
  readonly profileDir: (profile: string) => string;
  /** Stop the gateway a track runs (GatewayHooks.stopAutostarted); uninstall calls it first. */
  readonly stopAutostarted: (profile: string) => Promise<ServiceResult>;
  readonly now?: () => Date;
}

const ok = (detail: string): ServiceResult => ({ ok: true, exitCode: 0, timedOut: false, detail });
const notOk = (detail: string, from?: ServiceResult): ServiceResult => ({ ok: false, exitCode: from?.exitCode ?? null, timedOut: from?.timedOut ?? false, detail });

export function readManifest(path: string): AutostartManifest | null {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null; // missing, unreadable or not JSON: no record; both tracks are still looked at and removed
  }
  const record = value as Partial<AutostartManifest> | null;
  if (record === null || (record.kind !== 'windows-task' && record.kind !== 'windows-startup')) return null;
  return { kind: record.kind, installedAt: String(record.installedAt), fallbackReason: record.fallbackReason ?? null, leftover: record.leftover ?? null };
}

/** The Windows backend: both tracks behind one ServiceBackend, and which one a profile uses. */
export interface WindowsBackend extends ServiceBackend {
  /** The installed track (the manifest's, else whichever is installed, task first). */
  activeTrack(profile: string): Promise<WindowsTrackKind>;
}

export function createWindowsBackend(options: WindowsBackendOptions): WindowsBackend {
  const { task, startup } = options;
  const manifestPath = (profile: string): string => join(options.profileDir(profile), MANIFEST_FILE);
  const trackOf = (kind: WindowsTrackKind): WindowsTrack => (kind === 'windows-task' ? task : startup);
  /** The installed track: the manifest's, else whichever is installed (task first). */
  const current = async (profile: string): Promise<WindowsTrack> => {
    const manifest = readManifest(manifestPath(profile));
    if (manifest !== null) return trackOf(manifest.kind);
    return (await startup.isInstalled(profile)) && !(await task.isInstalled(profile)) ? startup : task;
  };

  const backend: WindowsBackend = {
    kind: 'windows-task',
    activeTrack: async (profile: string) => (await current(profile)).kind as WindowsTrackKind,

    render: (spec: ServiceSpec) => [...task.render(spec), ...startup.render(spec).map((d) => ({ ...d, role: `${d.role}, only if the task cannot be registered` }))],
    parse: (content: string | Uint8Array) => task.parse(content),

    async install(spec: ServiceSpec, opts: InstallOptions): Promise<ServiceResult> {
      const registered = await task.register(spec, opts.login);
      let chosen = task;
      const notes: string[] = [];
      let fallbackReason: string | null = null;
      if (registered.ok) notes.push(registered.detail);
      else {
        fallbackReason = registered.detail;
        const fallback = await startup.register(spec, opts.login);
        if (!fallback.ok) return notOk(`the Scheduled Task could not be registered (${registered.detail}), nor the Startup entry written (${fallback.detail})`, fallback);
        chosen = startup;
        notes.push(`Scheduled Task not registered (${registered.detail}): using the Startup folder instead`, fallback.detail,
          'no watchdog on this track (it is a scheduled task too): schedule `gatehouse alert --check` yourself to hear about a dead gateway');
      }
      const other = chosen === task ? startup : task;
      const removed = await other.uninstall(spec.profile);
      if (!removed.ok) notes.push(`warning: the ${other.kind} track could not be removed (${removed.detail}); the next install retries`);
      try {
        writeJsonFile(manifestPath(spec.profile), {
          kind: chosen.kind as WindowsTrackKind, installedAt: (options.now?.() ?? new Date()).toISOString(), fallbackReason,
          leftover: removed.ok ? null : (other.kind as WindowsTrackKind),
        } satisfies AutostartManifest);
      } catch (error) {
        return notOk(`cannot write ${manifestPath(spec.profile)}: ${errorMessage(error)}`);
      }
      if (opts.start) {
        const started = await chosen.start(spec.profile);
        if (!started.ok) return notOk(`${notes.join('; ')}; but not started: ${started.detail}`, started);
        notes.push(started.detail);
      }
      return ok(`${chosen.kind}: ${notes.join('; ')}`);
    },

    async uninstall(profile: string): Promise<ServiceResult> {
      // First the running gateway: a deleted task's instance (and a Startup entry's launcher) keeps
      // running, unsupervised by anything, until logoff. Its tracks are removed even if it would not stop.
      const stopped = await options.stopAutostarted(profile);
      const results = [stopped, await task.uninstall(profile), await startup.uninstall(profile)];
      const failed = results.filter((r) => !r.ok);
      if (failed.length > 0) return notOk(failed.map((r) => r.detail).join('; '), failed[0]);
      rmSync(manifestPath(profile), { force: true });
      return ok(results.map((r) => r.detail).join('; '));
    },

    isInstalled: async (profile: string) => (await task.isInstalled(profile)) || (await startup.isInstalled(profile)),
    isEnabled: async (profile: string) => (await current(profile)).isEnabled(profile),
    start: async (profile: string) => (await current(profile)).start(profile),
    stop: async (profile: string) => (await current(profile)).stop(profile),
    restart: async (profile: string) => (await current(profile)).restart(profile),

    async status(profile: string): Promise<ServiceStatus> {
      const track = await current(profile);
      const status = await track.status(profile);
      const manifest = readManifest(manifestPath(profile));
      const extra = manifest?.fallbackReason ? `; fallback because: ${manifest.fallbackReason}` : '';
      const leftover = manifest?.leftover ? `; leftover ${manifest.leftover} track to remove` : '';
      return { ...status, files: status.installed ? [...status.files, manifestPath(profile)] : status.files, detail: `${status.detail}${extra}${leftover}` };
    },
  };
  return backend;
}
