/**
 * Reading and writing files that hold keys: created with mode 0600, and refused on load when
 * their permission bits let the group or others read or write them (as OpenSSH does for private
 * keys). The check is skipped on Windows, which has no POSIX modes.
 */
import { chmodSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { BadFileError } from "../errors.js";
import { InsecureKeyFileError } from "./e2ee-errors.js";

/** Reads `path` as UTF-8 after checking it is a regular file with no group/other permission bits. */
export function readOwnerOnlyFile(path: string, what: string): string {
  let mode: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new BadFileError(`Cannot load ${what} ${path}: it is not a regular file`);
    mode = st.mode;
  } catch (err) {
    if (err instanceof BadFileError) throw err;
    throw new BadFileError(`Cannot load ${what} ${path}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`);
  }
  if (process.platform !== "win32" && (mode & 0o077) !== 0) throw new InsecureKeyFileError(path, mode);
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new BadFileError(`Cannot load ${what} ${path}: ${(err as Error).message}`);
  }
}

/**
 * Writes `text` to `path` with mode 0600: through a temporary file in the same directory renamed
 * over `path`, so a reader never sees half a file. Refuses an existing file unless `overwrite`.
 */
export function writeOwnerOnlyFile(path: string, text: string, what: string, overwrite: boolean): void {
  if (!overwrite) {
    let exists = true;
    try {
      statSync(path);
    } catch {
      exists = false;
    }
    if (exists) throw new BadFileError(`Cannot create ${what} ${path}: the file exists (allowed: a path that does not exist yet, or overwrite)`);
  }
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text, { mode: 0o600, flag: "wx" });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  } catch (err) {
    throw new BadFileError(`Cannot write ${what} ${path}: ${(err as Error).message}`);
  }
}
