import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseDriver } from '../../src/apply/choose-driver.js';
import { nodeIo } from '../../src/io/node-io.js';
import { liveDomain, liveState } from '../support/builders.js';

function home(withBinaries: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'mailstate-driver-'));
  if (withBinaries) {
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin/vadduser'), '');
  }
  return dir;
}

describe('--driver auto', () => {
  it('uses the files driver on a cdb-backed server even when the binaries exist', async () => {
    const live = liveState([liveDomain('example.com', [])], { vpopmailHome: home(true) });
    expect((await chooseDriver('auto', live, nodeIo())).name).toBe('files');
  });

  it('uses the binaries when the server keeps no vpasswd files (an SQL backend)', async () => {
    const live = liveState([liveDomain('example.com', [], { vpasswdExists: false })], { vpopmailHome: home(true) });
    expect((await chooseDriver('auto', live, nodeIo())).name).toBe('vpopmail');
  });

  it('falls back to files without binaries, and refuses --driver vpopmail then', async () => {
    const live = liveState([liveDomain('example.com', [], { vpasswdExists: false })], { vpopmailHome: home(false) });
    expect((await chooseDriver('auto', live, nodeIo())).name).toBe('files');
    await expect(chooseDriver('vpopmail', live, nodeIo())).rejects.toThrow(/bin\/vadduser does not exist/);
  });
});
