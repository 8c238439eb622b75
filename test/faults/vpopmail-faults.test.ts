import { describe, expect, it } from 'vitest';
import { ApplyStepError } from '../../src/apply/types.js';
import { vpopmailDriver } from '../../src/apply/vpopmail-driver.js';
import { FLAG_BITS } from '../../src/model/flags.js';
import type { DesiredState } from '../../src/model/state.js';
import {
  EXAMPLE_SANDBOX,
  applyDesired,
  desiredFromLive,
  live,
  lostMessages,
  maildirMessages,
  planOf,
  server,
  type TestServer,
} from '../support/harness.js';
import { HASH_SECRET6 } from '../support/builders.js';
import { installEmulator } from '../emulator/install.js';
import { COUNTED_WORK, watchedStep } from '../support/budget.js';
import { errnoError, withSyscallFaults } from './fs-faults.js';

const D = 'example.com';
const src = { file: 'test.yaml' };

async function emulatorServer(): Promise<TestServer> {
  const srv = await server(EXAMPLE_SANDBOX);
  installEmulator(srv.vpopmailHome, srv.qmailHome);
  return srv;
}

/** A plan that runs every kind of vpopmail program once or twice: add, modify (quota, flags, comment), delete, a forward and an alias. */
async function busyDesired(srv: TestServer): Promise<DesiredState> {
  const desired = desiredFromLive(await live(srv));
  const domain = desired.domains.get(D)!;
  domain.users.delete('bob');
  Object.assign(domain.users.get('alice')!, {
    quota: '1048576S',
    flags: FLAG_BITS.no_pop,
    comment: 'Alice A',
    forward: { to: ['a@example.net'], keepCopy: true },
  });
  domain.users.set('carol', {
    name: 'carol',
    password: { kind: 'hash', hash: HASH_SECRET6 },
    comment: 'carol',
    quota: '2048S',
    flags: 0,
    source: src,
  });
  domain.aliases.set('sales', { name: 'sales', to: ['alice@example.com'], source: src });
  return desired;
}

/**
 * The vpopmail driver's own failure points: each program run (a faulted run returns exit 1, as a
 * vpopmail program refusing would) and each file it writes itself, failed in turn.
 */
describe('a failure at every step of the vpopmail driver (vpopmail emulator)', () => {
  // One faulted apply per step of the driver, bounded by their count (test/support/budget.ts).
  it('converges after each one and never loses a message', { timeout: COUNTED_WORK }, async () => {
    const probe = await emulatorServer();
    const probed = await withSyscallFaults(
      () => undefined,
      async () => applyDesired(await busyDesired(probe), probe, vpopmailDriver),
    );
    expect(probed.error).toBeUndefined();
    const total = probed.calls.length;
    expect(probed.calls.filter((c) => c.name === 'spawnSync').length).toBeGreaterThanOrEqual(5);

    for (let k = 1; k <= total; k++) {
      await watchedStep(`fault ${k}/${total}`, async () => {
        const srv = await emulatorServer();
        const desired = await busyDesired(srv);
        const before = await maildirMessages(srv);
        const run = await withSyscallFaults(
          (call) => (call.index === k ? errnoError(k % 2 ? 'EIO' : 'ENOSPC', call) : undefined),
          () => applyDesired(desired, srv, vpopmailDriver),
        );
        const where = `fault ${k}/${total} at ${probed.calls[k - 1]!.name} ${probed.calls[k - 1]!.target}`;
        if (run.error === undefined)
          expect(planOf(desired, await live(srv)).changes, `${where}: success claimed without convergence`).toEqual([]);
        else expect(run.error, where).toBeInstanceOf(ApplyStepError);
        expect(lostMessages(before, await maildirMessages(srv)), where).toEqual([]);
        await applyDesired(desired, srv, vpopmailDriver);
        expect(planOf(desired, await live(srv)).changes, `${where}: not converged`).toEqual([]);
        expect(lostMessages(before, await maildirMessages(srv)), where).toEqual([]);
      });
    }
    console.log(`vpopmail driver faults: ${total} injected`);
  });
});
