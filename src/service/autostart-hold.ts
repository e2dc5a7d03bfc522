// The hold on the Windows autostart: while `<profile>/autostart-hold` exists, the launcher that
// both Windows tracks run starts nothing (windows-launcher.ts). `gatehouse stop` sets it for a
// profile whose Windows autostart is installed, because the task's repeating trigger would otherwise
// start the gateway again within 5 minutes (and its logon trigger at the next login); `start` and
// `install` lift it. Plain files in the profile directory, so this works (and is tested) anywhere;
// elsewhere no track is installed and nothing is written.
import { join } from 'node:path';
import { LAUNCHER_FILE, AUTOSTART_HOLD_FILE } from './windows-launcher.js';
import { MANIFEST_FILE } from './windows.js';

const { existsSync, rmSync, writeFileSync } = process.getBuiltinModule('node:fs');

export function autostartHoldPath(profileDir: string): string {
  return join(profileDir, AUTOSTART_HOLD_FILE);
}

/**
 * A Windows track is installed for this profile: its manifest (written by every Windows install,
 * removed by uninstall) or the task track's launcher is in the profile directory.
 */
export function windowsAutostartInstalled(profileDir: string): boolean {
  return existsSync(join(profileDir, MANIFEST_FILE)) || existsSync(join(profileDir, LAUNCHER_FILE));
}

/** Set the hold when a Windows track is installed; the path written, or null when there is none. */
export function holdAutostart(profileDir: string, reason: string, now: Date = new Date()): string | null {
  if (!windowsAutostartInstalled(profileDir)) return null;
  const path = autostartHoldPath(profileDir);
  // What the hold is and how to lift it, for whoever finds the file.
  writeFileSync(path, `${JSON.stringify({ reason, at: now.toISOString(), lift: 'gatehouse start (or install)' })}\n`, { mode: 0o600 });
  return path;
}

/** Lift the hold; true when there was one. */
export function releaseAutostartHold(profileDir: string): boolean {
  const path = autostartHoldPath(profileDir);
  if (!existsSync(path)) return false;
  rmSync(path, { force: true });
  return true;
}
