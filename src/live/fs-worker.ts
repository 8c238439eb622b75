/**
 * Worker thread of fs-pool.ts: runs a batch of file-system calls synchronously, which costs a few
 * microseconds per call when the metadata and data are cached, and answers with one message.
 */
import { closeSync, fstatSync, openSync, readFileSync, statSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { failure, type FileRead, notRegularFile, OPEN_FLAGS } from './fs-read.js';
import type { FsRequest, FsResponse } from './fs-pool.js';

/** As fs-read's mayExist: false only for "not there"; any other error is for the reader to report. */
function mayExist(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOTDIR';
  }
}

/** As fs-read's readFileOrMissing, with the same codes and messages (and no wait on a FIFO). */
function read(path: string): FileRead {
  let fd: number | undefined;
  try {
    fd = openSync(path, OPEN_FLAGS);
    return notRegularFile(fstatSync(fd)) ?? { kind: 'ok', data: readFileSync(fd) };
  } catch (cause) {
    return failure(cause as NodeJS.ErrnoException);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

parentPort?.on('message', (request: FsRequest) => {
  let response: FsResponse;
  if (request.op === 'probe') {
    const found = new Uint8Array(request.paths.length);
    for (const [i, path] of request.paths.entries()) found[i] = mayExist(path) ? 1 : 0;
    response = { id: request.id, op: 'probe', found };
  } else {
    response = { id: request.id, op: 'read', reads: request.paths.map(read) };
  }
  parentPort!.postMessage(response);
});
