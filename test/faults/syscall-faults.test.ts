import { describe, expect, it } from 'vitest';
import { ApplyStepError } from '../../src/apply/types.js';
import type { DesiredState } from '../../src/model/state.js';
import {
  EXAMPLE_SANDBOX,
  applyDesired,
  BUSY_RELAY,
  busyDesired,
  live,
  lostMessages,
  maildirMessages,
  maildirsizeMismatches,
  planOf,
  qmailRoutingProblems,
  server,
  strayTempFiles,
  type TestServer,
  declareNewDomain,
} from '../support/harness.js';
import { COUNTED_WORK, watchedStep } from '../support/budget.js';
import { errnoError, withSyscallFaults, type SyscallCall } from './fs-faults.js';

const D = 'example.com';
const src = { file: 'test.yaml' };
const CODES = ['EIO', 'ENOSPC', 'EACCES', 'EPERM', 'EDQUOT'];
/** `npm run soak` fails every call with every code; `npm test` with one code per call, in rotation. */
const CODES_PER_CALL = process.env.MAILSTATE_SOAK ? CODES.length : 1;

/** Everything the files driver can do in one apply: users in and out, fields, forwards, aliases, relays, a new domain with an alias domain. */
async function everythingDesired(srv: TestServer): Promise<DesiredState> {
  const desired = busyDesired(await live(srv), BUSY_RELAY);
  desired.domains.get(D)!.users.get('alice')!.comment = 'Alice A';
  declareNewDomain(desired, ['postmaster', 'erin'], src);
  return desired;
}

/**
 * Fails the k-th disk-changing call (or program run) of a busy apply, for every k, then re-runs
 * apply: every run must converge and keep every message. A failure the apply swallowed must not
 * leave it claiming success on a tree that is not converged.
 */
describe('a failure at every system call of a busy apply (files driver)', () => {
  // A sweep of ~200 faulted applies, bounded by its count (test/support/budget.ts).
  it('converges after each one and never loses a message', { timeout: COUNTED_WORK }, async () => {
    const probe = await server(EXAMPLE_SANDBOX);
    const probed = await withSyscallFaults(
      () => undefined,
      async () => applyDesired(await everythingDesired(probe), probe),
    );
    expect(probed.error).toBeUndefined();
    const total = probed.calls.length;
    expect(total).toBeGreaterThan(100);

    let failedRuns = 0;
    let injected = 0;
    for (let round = 0; round < total * CODES_PER_CALL; round++) {
      const k = (round % total) + 1;
      const code = CODES[(k + Math.floor(round / total)) % CODES.length]!;
      injected++;
      await watchedStep(`fault ${k}/${total} (${code})`, async () => {
        const srv = await server(EXAMPLE_SANDBOX);
        const desired = await everythingDesired(srv);
        const before = await maildirMessages(srv);
        expect(before.size).toBeGreaterThanOrEqual(3);
        let failed: SyscallCall | undefined;
        const run = await withSyscallFaults(
          (call) => {
            if (call.index !== k) return undefined;
            failed = call;
            return errnoError(code, call);
          },
          () => applyDesired(desired, srv),
        );
        const where = `fault ${k}/${total} (${code}) in ${failed?.name} ${failed?.target}`;
        if (run.error !== undefined) {
          expect(run.error, where).toBeInstanceOf(ApplyStepError);
          failedRuns++;
        } else {
          expect(
            planOf(desired, await live(srv)).changes,
            `${where}: apply reported success but did not converge`,
          ).toEqual([]);
        }
        expect(lostMessages(before, await maildirMessages(srv)), `${where}: messages lost`).toEqual([]);
        expect(strayTempFiles(srv.root), where).toEqual([]);

        await applyDesired(desired, srv);
        expect(planOf(desired, await live(srv)).changes, `${where}: not converged by the next apply`).toEqual([]);
        expect(
          await maildirsizeMismatches(srv, D, ['alice', 'carol', 'dave']),
          `${where}: maildirsize left behind vpasswd`,
        ).toEqual([]);
        expect(
          qmailRoutingProblems(srv, ['new.test', 'alias.test', D]),
          `${where}: qmail does not route a domain`,
        ).toEqual([]);
        expect(lostMessages(before, await maildirMessages(srv)), `${where}: messages lost after the re-run`).toEqual(
          [],
        );
      });
    }
    console.log(`syscall faults: ${injected} injected over ${total} calls, ${failedRuns} stopped the apply`);
    // Nearly every call is one whose failure must stop the apply: few may be best-effort.
    expect(failedRuns).toBeGreaterThan(injected * 0.8);
  });
});
