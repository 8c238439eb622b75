import { readFile, stat } from 'node:fs';
import type { Diagnostic } from '../model/diagnostic.js';

/** A file read that distinguishes "not there" (normal) from "could not read" (reported). */
export type FileRead =
  | { kind: 'ok'; data: Buffer }
  | { kind: 'missing' }
  | { kind: 'error'; code: string; message: string };

/**
 * Reads a whole file; ENOENT and ENOTDIR (a parent is missing or is a file) mean "missing".
 *
 * The callback API is used on purpose: probing 100k user directories for a `.qmail` that mostly
 * does not exist costs about half as much as fs/promises, whose FileHandle path adds several
 * promise hops per failed open.
 */
export function readFileOrMissing(path: string): Promise<FileRead> {
  return new Promise((resolve) => {
    readFile(path, (error, data) => {
      if (!error) resolve({ kind: 'ok', data });
      else if (error.code === 'ENOENT' || error.code === 'ENOTDIR') resolve({ kind: 'missing' });
      else resolve({ kind: 'error', code: error.code ?? 'EIO', message: error.message });
    });
  });
}

/**
 * Whether `path` may exist: false only when stat says ENOENT or ENOTDIR. A failed stat costs
 * about a third of a failed readFile (no read context, one thread-pool round trip), which is what
 * probing 100k user directories for a `.qmail` that mostly does not exist is made of; the few
 * paths that may exist are then read with readFileOrMissing, which reports any error as before.
 */
export function mayExist(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    stat(path, (error) => resolve(!error || (error.code !== 'ENOENT' && error.code !== 'ENOTDIR')));
  });
}

/** The diagnostic for a file that exists but could not be read (EACCES, EISDIR, EIO …). */
export function readErrorDiagnostic(path: string, failure: { code: string; message: string }, what: string): Diagnostic {
  return {
    severity: 'error',
    code: 'read-error',
    message: `cannot read ${what}: ${failure.code} (${failure.message})`,
    file: path,
  };
}

/**
 * Runs `task` over `items` with at most `limit` in flight and returns the results in input order.
 * Bounded so a 100k-user domain neither opens 100k files at once nor waits on them one by one.
 */
export async function mapWithLimit<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
