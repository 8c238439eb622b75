/**
 * Worker thread of check-pool.ts: parses and checks the files it is sent exactly as the main
 * thread would (parseYaml, then checkFile) and sends back their outcomes.
 */
import { parentPort } from 'node:worker_threads';
import type { CheckRequest, CheckResponse } from './check-pool.js';
import { checkFile } from './file-check.js';
import { parseYaml } from './parse.js';

// The yaml package's parser reads process.env.LOG_TOKENS once per token, and process.env is a
// native proxy whose every read is a call into C++: a fifth of the parse at 100k users. This
// thread reads no environment, so a plain object stands in (it is this thread's own process.env).
process.env = {};

parentPort?.on('message', (request: CheckRequest) => {
  const outcomes = request.inputs.map((input) =>
    checkFile(parseYaml(input.text, input.file, 'include'), {
      ...request.shared,
      role: 'include',
      fileDir: input.fileDir,
    }),
  );
  const response: CheckResponse = { outcomes };
  parentPort!.postMessage(response);
});
