import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createFsPool } from '../../src/live/fs-pool.js';
import { readFileOrMissing } from '../../src/live/fs-read.js';

// The workers run compiled code: the test suite's setup builds dist/ first.
const WORKER = new URL('../../dist/live/fs-worker.js', import.meta.url);
const root = mkdtempSync(join(tmpdir(), 'mailstate-fs-pool-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

mkdirSync(join(root, 'dir'));
writeFileSync(join(root, 'file'), 'some text\n');
writeFileSync(join(root, 'empty'), '');
symlinkSync(join(root, 'file'), join(root, 'link'));
symlinkSync(join(root, 'nowhere'), join(root, 'dangling'));
const paths = ['file', 'empty', 'link', 'dangling', 'dir', 'missing', 'file/below', 'dir/missing', 'ünï'].map((name) =>
  join(root, name),
);

describe('createFsPool', () => {
  it('answers in worker threads exactly as on this thread', async () => {
    expect(existsSync(fileURLToPath(WORKER))).toBe(true);
    const here = createFsPool({ workerUrl: new URL('./no-such-worker.js', WORKER) });
    const threaded = createFsPool({ workerUrl: WORKER, inlineProbes: 0, workers: 2 });
    try {
      // The first probe call starts the workers; reads go to them from then on.
      const probes = await threaded.mayExist(paths);
      expect(probes).toEqual(await here.mayExist(paths));
      expect(probes).toEqual([true, true, true, false, true, false, false, false, false]);
      const reads = await threaded.readFiles(paths);
      expect(reads).toEqual(await here.readFiles(paths));
      expect(reads.map((r) => r.kind)).toEqual([
        'ok',
        'ok',
        'error',
        'error',
        'error',
        'missing',
        'missing',
        'missing',
        'missing',
      ]);
      expect(reads[0]).toEqual({ kind: 'ok', data: Buffer.from('some text\n') });
      // Links are never followed, dangling or not: the vpopmail account could point one at /etc/shadow.
      const link = { kind: 'error', code: 'ELOOP', message: 'a symbolic link, which mailstate does not follow' };
      expect([reads[2], reads[3]]).toEqual([link, link]);
      // Many paths: batches of a thousand, answers in order.
      const many = Array.from({ length: 2500 }, (_, i) => paths[i % paths.length]!);
      expect(await threaded.mayExist(many)).toEqual(await here.mayExist(many));
    } finally {
      await threaded.close();
      await here.close();
    }
  });

  it('never waits on a FIFO or reads a device, on this thread or in a worker', async () => {
    // Before the fix, readFile(fifo) waited for a writer forever: one `.qmail-x` FIFO hung the reader.
    execFileSync('mkfifo', [join(root, 'fifo')]);
    const special = [join(root, 'fifo'), '/dev/zero'];
    const expected = [
      { kind: 'error', code: 'ENOTREG', message: 'not a regular file but a FIFO' },
      { kind: 'error', code: 'ENOTREG', message: 'not a regular file but a character device' },
    ];
    expect(await Promise.all(special.map(readFileOrMissing))).toEqual(expected);
    const threaded = createFsPool({ workerUrl: WORKER, inlineProbes: 0, workers: 1 });
    try {
      await threaded.mayExist(special);
      expect(await threaded.readFiles(special)).toEqual(expected);
    } finally {
      await threaded.close();
    }
  });
});
