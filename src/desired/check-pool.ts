import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { checkFile } from './file-check.js';
import type { FileOutcome, SharedContext } from './file-check.js';
import { parseYaml } from './parse.js';

/** One included file to check. */
export interface IncludeInput {
  text: string;
  /** The name messages use. */
  file: string;
  /** Its directory on disk. */
  fileDir: string;
}

export interface CheckRequest {
  inputs: IncludeInput[];
  shared: SharedContext;
}

export interface CheckResponse {
  outcomes: FileOutcome[];
}

/**
 * Below this much YAML a second thread costs more than it saves: starting a worker and loading
 * the yaml package and the schema in it takes about 80 ms, checking a megabyte about 150 ms.
 */
export const PARALLEL_MIN_BYTES = 1 << 20;

export interface CheckPoolOptions {
  /** Threads to use, the calling one included (default: the machine's available parallelism). */
  threads?: number;
  minBytes?: number;
  /** The compiled check-worker.js (default: next to this module). */
  workerUrl?: URL;
}

const DEFAULT_WORKER = new URL('./check-worker.js', import.meta.url);

/**
 * Parses and checks included files (checkFile), with the same outcomes as doing it here, in input
 * order. Large sets are shared out by size between this thread and worker threads, one thread
 * per core: the yaml package's parser is the largest single cost of loading a big repository,
 * and files are checked independently. A worker sends back only each file's outcome (diagnostics
 * and normalised domains), never the parsed tree.
 */
export async function checkIncludes(
  inputs: readonly IncludeInput[],
  shared: SharedContext,
  options: CheckPoolOptions = {},
): Promise<FileOutcome[]> {
  const workerUrl = options.workerUrl ?? DEFAULT_WORKER;
  const threads = Math.min(options.threads ?? availableParallelism(), inputs.length);
  const bytes = inputs.reduce((sum, input) => sum + input.text.length, 0);
  const here = (input: IncludeInput): FileOutcome =>
    checkFile(parseYaml(input.text, input.file, 'include'), { ...shared, role: 'include', fileDir: input.fileDir });
  // Under vitest this module runs from src/, where no compiled worker exists: check here.
  if (threads < 2 || bytes < (options.minBytes ?? PARALLEL_MIN_BYTES) || !existsSync(fileURLToPath(workerUrl))) {
    return inputs.map(here);
  }
  const [mine, ...theirs] = shareBySize(inputs, threads);
  const offloaded = theirs.map((group) => checkInWorker(workerUrl, { inputs: group.map((i) => inputs[i]!), shared }));
  const outcomes = new Array<FileOutcome>(inputs.length);
  for (const i of mine!) outcomes[i] = here(inputs[i]!);
  for (const [g, pending] of offloaded.entries()) {
    // A worker that failed (it should not) costs time, not results.
    const checked = await pending.catch(() => undefined);
    for (const [k, i] of theirs[g]!.entries()) outcomes[i] = checked?.[k] ?? here(inputs[i]!);
  }
  return outcomes;
}

/** Input indexes in `count` groups of about equal size (largest files placed first); group 0 stays here. */
function shareBySize(inputs: readonly IncludeInput[], count: number): number[][] {
  const groups = Array.from({ length: count }, () => ({ bytes: 0, members: [] as number[] }));
  const order = inputs.map((_, i) => i).sort((a, b) => inputs[b]!.text.length - inputs[a]!.text.length);
  for (const i of order) {
    const lightest = groups.reduce((min, group) => (group.bytes < min.bytes ? group : min));
    lightest.bytes += inputs[i]!.text.length;
    lightest.members.push(i);
  }
  return groups.map((group) => group.members.sort((a, b) => a - b));
}

function checkInWorker(url: URL, request: CheckRequest): Promise<FileOutcome[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(url);
    worker.once('message', (response: CheckResponse) => {
      resolve(response.outcomes);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`check worker exited with code ${code}`)));
    worker.postMessage(request);
  });
}
