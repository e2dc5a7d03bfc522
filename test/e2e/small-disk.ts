// A full disk under a profile's session database, for real: the database file is a symlink into a
// 2 MiB tmpfs of its own (SQLite follows the link; -wal and -shm go beside it), which a filler file
// fills to ENOSPC and frees again. Linux and root only; elsewhere the test is skipped with the reason.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { eventually, isAlive, type TestHome } from './harness.js';

const isRoot = process.getuid?.() === 0;

export const needsTmpfs = { skip: process.platform !== 'linux' ? 'tmpfs is Linux' : !isRoot ? 'needs root to mount a small tmpfs' : false };

export interface SmallDisk {
  /** Fill the file system until a write fails with ENOSPC. */
  fill(): void;
  /** Remove the filler: room again. */
  free(): void;
  /** A gateway process that holds the database: gone before the unmount at the end of the test. */
  watch(pid: number): void;
}

/** The profile's database on a 2 MB tmpfs of its own (call after writeConfig); null (test skipped) where none can be mounted. */
export async function smallDisk(t: TestContext, home: TestHome): Promise<SmallDisk | null> {
  const mountPoint = mkdtempSync(join(tmpdir(), 'gatehouse-full-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'tmpfs', mountPoint], { encoding: 'utf8' });
  const gateway: number[] = [];
  t.after(async () => {
    await home.cleanup(); // the gateway holds the database open: gone before the unmount
    await eventually('the gateway to be gone before the unmount', () => gateway.every((pid) => !isAlive(pid)), 10_000);
    if (mounted.status === 0) {
      // A process that was just killed may still hold the file for a moment: retry, then detach it lazily.
      await eventually('the tmpfs to unmount', () => spawnSync('umount', [mountPoint]).status === 0, 10_000).catch(() => spawnSync('umount', ['-l', mountPoint]));
    }
    rmSync(mountPoint, { recursive: true, force: true });
  });
  if (mounted.status !== 0) {
    t.skip(`cannot mount a tmpfs here: ${mounted.stderr.trim()}`);
    return null;
  }
  symlinkSync(join(mountPoint, 'sessions.db'), home.paths().database);
  const filler = join(mountPoint, 'filler');
  return {
    fill: () => {
      try {
        for (;;) appendFileSync(filler, Buffer.alloc(64 * 1024));
      } catch (error) {
        assert.equal((error as NodeJS.ErrnoException).code, 'ENOSPC');
      }
    },
    free: () => rmSync(filler),
    watch: (pid) => { gateway.push(pid); },
  };
}
