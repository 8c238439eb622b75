import { resolve } from 'node:path';
import { ioReason } from '../../desired/io-reason.js';
import { renderSnapshot, snapshotFromLive } from '../../snapshot/format.js';
import { hashDigest, keyFilePath, keyId, loadOrCreateKey } from '../../snapshot/key.js';
import { type CommandSpec, parseCommandArgs, SERVER_OPTIONS } from '../args.js';
import { checkOutputTarget, EXIT, ExitError, writeOutputFile, type CliIo } from '../io.js';
import { readLiveOrExit, stderrReport } from '../pipeline.js';

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

export const SNAPSHOT = {
  name: 'snapshot',
  usage: '[-o FILE] [--vpopmail-home DIR] [--qmail-home DIR]',
  summary:
    'Write the live state as JSON, for plan --live on a machine without the server (CI). No password\nleaves the server: hashes become HMAC-SHA256 under ~vpopmail/etc/mailstate.key (created on first\nuse), clear texts are left out.',
  options: {
    output: { type: 'string', short: 'o', value: 'FILE', help: 'write here instead of standard output (- for it)' },
    ...SERVER_OPTIONS,
  },
  exitCodes: ['0  written', '1  error: the live state could not be read, or the output not written'],
} as const satisfies CommandSpec;

/**
 * `mailstate snapshot`: the live state as JSON for planning elsewhere (CI). No password leaves the
 * server: each hash becomes HMAC-SHA256 under ~vpopmail/etc/mailstate.key (created 0600 on first
 * use), and clear-text fields are left out entirely.
 */
export async function snapshotCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(SNAPSHOT, argv);
  const vpopmailHome = resolve(io.cwd, values['vpopmail-home']);
  const qmailHome = resolve(io.cwd, values['qmail-home']);
  // "-o -" is standard output; any other target is checked before the key is read or created.
  const target = values.output === undefined || values.output === '-' ? undefined : resolve(io.cwd, values.output);
  if (target !== undefined) checkOutputTarget(target, values.output!);
  const domainBases = values['domain-base']?.map((base) => resolve(io.cwd, base));
  const { live, diagnostics } = await readLiveOrExit(stderrReport(io), { vpopmailHome, qmailHome, domainBases });

  const keyFile = keyFilePath(vpopmailHome);
  let key: { key: Buffer; created: boolean };
  try {
    key = loadOrCreateKey(keyFile);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ExitError(
      code ? `cannot read or create the snapshot key ${keyFile}: ${ioReason(error)}` : (error as Error).message,
    );
  }
  if (key.created) {
    io.stderr(
      `Created the snapshot key ${keyFile} (0600). Give its content to CI as the secret MAILSTATE_KEY so plans can compare password hashes.\n`,
    );
  }
  const snapshot = snapshotFromLive(live, diagnostics, (hash) => hashDigest(key.key, hash), {
    createdAt: new Date().toISOString(),
    host: io.hostname ?? 'localhost',
    keyId: keyId(key.key),
  });
  const text = renderSnapshot(snapshot);
  if (target === undefined) {
    io.stdout(text);
  } else {
    writeOutputFile(target, values.output!, text);
    const users = snapshot.domains.reduce((sum, domain) => sum + domain.users.length, 0);
    io.stderr(
      `Wrote ${values.output}: ${plural(snapshot.domains.length, 'domain')}, ${plural(users, 'user')}, no password (key id ${snapshot.passwords.keyId}).\n`,
    );
  }
  return EXIT.ok;
}
