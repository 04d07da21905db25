// One process per folder (a build output, an embedded database): the lock is
// `<folder>.lock` beside it, holding the owner's pid. It is created whole and
// atomically (written under a private name, then hard-linked to the lock name,
// which fails if the lock exists), so two processes never both believe they
// hold it; a lock whose process is gone is taken over.
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

export class FolderLockedError extends Error {
  constructor(message, owner) {
    super(message);
    this.name = "FolderLockedError";
    this.owner = owner;
  }
}

function ownerOf(file) {
  try {
    const pid = Number(readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

/**
 * Takes the lock of `folder` for this process, or throws FolderLockedError
 * naming the live owner. Returns the release (also run at exit). Taking a lock
 * this process already holds succeeds and leaves it to the first holder.
 * @param {string} folder
 * @param {{ label: string, advice: string }} words for the refusal: "<label> <folder> is in use by process <pid>. <advice>"
 * @returns {() => void}
 */
export function lockFolder(folder, { label, advice }) {
  const lockFile = `${path.resolve(folder)}.lock`;
  mkdirSync(path.dirname(lockFile), { recursive: true });
  const mine = `${lockFile}.${process.pid}`;
  writeFileSync(mine, String(process.pid));
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(mine, lockFile);
        const release = () => {
          if (ownerOf(lockFile) === process.pid) rmSync(lockFile, { force: true });
        };
        process.once("exit", release);
        return release;
      } catch (error) {
        if (error.code !== "EEXIST") throw error;
      }
      const owner = ownerOf(lockFile);
      if (owner === process.pid) return () => {};
      if (owner !== undefined && isAlive(owner)) {
        throw new FolderLockedError(`${label} ${folder} is in use by process ${owner}. ${advice}`, owner);
      }
      // Gone (or unreadable): move it aside under our own name, and make sure what we moved is that stale lock.
      const aside = `${lockFile}.stale.${process.pid}`;
      try {
        renameSync(lockFile, aside);
      } catch (error) {
        if (error.code === "ENOENT") continue;
        throw error;
      }
      if (ownerOf(aside) !== owner) {
        // Another process took the lock over in between: give its lock back.
        try {
          linkSync(aside, lockFile);
        } catch {
          // A third one holds it now; the next attempt names it.
        }
      }
      rmSync(aside, { force: true });
    }
    throw new FolderLockedError(`${label} ${folder}: could not take its lock (${lockFile}); other processes keep taking it.`, undefined);
  } finally {
    rmSync(mine, { force: true });
  }
}
