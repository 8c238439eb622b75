import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type FileRead, mapWithLimit, mayExist, readFileOrMissing } from './fs-read.js';

export type FsRequest = { id: number; op: 'probe' | 'read'; paths: string[] };
export type FsResponse = { id: number; op: 'probe'; found: Uint8Array } | { id: number; op: 'read'; reads: FileRead[] };

/** The reads of the live reader, in batches. */
export interface FsPool {
  /** For each path, whether it may exist (false only for ENOENT and ENOTDIR). */
  mayExist(paths: readonly string[]): Promise<boolean[]>;
  /** readFileOrMissing of each path. */
  readFiles(paths: readonly string[]): Promise<FileRead[]>;
  close(): Promise<void>;
}

export interface FsPoolOptions {
  /** Probes answered on this thread before the worker threads start (default 2,000). */
  inlineProbes?: number;
  /** Worker threads (default 4: as many calls in flight as libuv's thread pool runs). */
  workers?: number;
  /** The compiled fs-worker.js (default: next to this module). */
  workerUrl?: URL;
}

const DEFAULT_WORKER = new URL('./fs-worker.js', import.meta.url);
const BATCH = 1000;
const INLINE_CONCURRENCY = 64;

/**
 * Reading a large server is mostly small file-system calls: a stat of every user directory's
 * `.qmail`, and a few files per domain. Through libuv each call costs the main thread a round
 * trip to the thread pool and back (about 4 µs, more than the call itself when the cache is warm);
 * worker threads making the same calls synchronously, in batches, answer in a fraction of the
 * time while the main thread parses what has arrived. Four workers keep as many calls in flight
 * as libuv would, so a cold cache is read just as much in parallel.
 *
 * Small servers never start a worker: until `inlineProbes` probes have been asked for, calls are
 * made asynchronously on this thread, as they are when no compiled worker exists (the tests run
 * from src/).
 */
export function createFsPool(options: FsPoolOptions = {}): FsPool {
  const workerUrl = options.workerUrl ?? DEFAULT_WORKER;
  let inlineLeft = existsSync(fileURLToPath(workerUrl)) ? (options.inlineProbes ?? 2000) : Infinity;
  let workers: WorkerPool | undefined;
  const inlineProbe = (paths: readonly string[]) => mapWithLimit(paths, INLINE_CONCURRENCY, mayExist);
  const inlineRead = (paths: readonly string[]) => mapWithLimit(paths, INLINE_CONCURRENCY, readFileOrMissing);
  return {
    async mayExist(paths) {
      if (paths.length <= inlineLeft) {
        inlineLeft -= paths.length;
        return inlineProbe(paths);
      }
      inlineLeft = 0;
      workers ??= new WorkerPool(workerUrl, options.workers ?? 4);
      const batches = await workers.run('probe', paths, inlineProbe);
      return batches.flatMap((batch) => (batch instanceof Uint8Array ? Array.from(batch, (bit) => bit === 1) : batch));
    },
    async readFiles(paths) {
      if (!workers) return inlineRead(paths);
      const batches = await workers.run('read', paths, inlineRead);
      return batches.flat().map(asBuffer);
    },
    async close() {
      await workers?.close();
    },
  };
}

/** Data crosses the thread boundary as a plain Uint8Array. */
function asBuffer(read: FileRead): FileRead {
  return read.kind === 'ok'
    ? { kind: 'ok', data: Buffer.from(read.data.buffer, read.data.byteOffset, read.data.byteLength) }
    : read;
}

type Answer<Op extends FsRequest['op']> = Op extends 'probe' ? Uint8Array | boolean[] : FileRead[];

class WorkerPool {
  private readonly workers: Worker[];
  private readonly busy: number[];
  private readonly pending = new Map<number, { resolve(response: FsResponse): void; reject(error: Error): void }>();
  private nextId = 0;
  private failed = false;

  constructor(url: URL, count: number) {
    this.workers = Array.from({ length: count }, () => new Worker(url));
    this.busy = this.workers.map(() => 0);
    for (const [index, worker] of this.workers.entries()) {
      worker.on('message', (response: FsResponse) => {
        this.busy[index]!--;
        this.pending.get(response.id)?.resolve(response);
        this.pending.delete(response.id);
      });
      worker.on('error', (error) => {
        this.failed = true;
        for (const waiter of this.pending.values()) waiter.reject(error);
        this.pending.clear();
      });
    }
  }

  /** Runs `op` over `paths` in batches; a worker that failed (it should not) costs time, not answers. */
  async run<Op extends FsRequest['op']>(
    op: Op,
    paths: readonly string[],
    inline: (paths: readonly string[]) => Promise<Answer<Op>>,
  ): Promise<Array<Answer<Op>>> {
    const batches: Array<Promise<Answer<Op>>> = [];
    for (let i = 0; i < paths.length; i += BATCH) {
      const batch = paths.slice(i, i + BATCH);
      batches.push(this.failed ? inline(batch) : this.send(op, batch).catch(() => inline(batch)));
    }
    return Promise.all(batches);
  }

  private send<Op extends FsRequest['op']>(op: Op, paths: string[]): Promise<Answer<Op>> {
    const id = this.nextId++;
    // The least busy worker: a batch that meets a cold cache does not hold up the others.
    const index = this.busy.indexOf(Math.min(...this.busy));
    this.busy[index]!++;
    return new Promise<FsResponse>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const request: FsRequest = { id, op, paths };
      this.workers[index]!.postMessage(request);
    }).then((response) => (response.op === 'probe' ? response.found : response.reads) as Answer<Op>);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
