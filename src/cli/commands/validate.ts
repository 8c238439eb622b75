import { dirname, resolve } from 'node:path';
import { inspectSecretFiles, nodeSecretFileIo, unsetEnvSecrets } from '../../desired/secrets.js';
import { formatDiagnostic } from '../../model/diagnostic.js';
import { COMMON_OPTIONS, type CommandSpec, parseCommandArgs } from '../args.js';
import { EXIT, type CliIo } from '../io.js';
import { loadDesiredOrExit } from '../pipeline.js';

function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

export const VALIDATE = {
  name: 'validate',
  usage: '[-f FILE]',
  summary:
    'Check the desired state without reading a server: YAML syntax, the schema, names, sizes and\nreferences. Every error names FILE:LINE:COL. Passwords given as { env: NAME } that are not set\nhere are warnings (plan and apply need them).',
  options: { file: COMMON_OPTIONS.file },
  exitCodes: ['0  the file is valid (warnings may be printed)', '1  it is not: every error is printed'],
} as const satisfies CommandSpec;

export async function validateCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(VALIDATE, argv);
  // validate stops nothing: its refusal is the count of errors alone.
  const desired = await loadDesiredOrExit(io, { file: values.file }, undefined, '');
  for (const warning of unsetEnvSecrets(desired, io.env)) io.stderr(`${formatDiagnostic(warning)}\n`);
  // Password files are not read here (CI has none), only looked at: world-readable, or a link out of the repository.
  for (const warning of inspectSecretFiles(desired, dirname(resolve(io.cwd, values.file)), nodeSecretFileIo))
    io.stderr(`${formatDiagnostic(warning)}\n`);
  let users = 0;
  let aliases = 0;
  for (const domain of desired.domains.values()) {
    users += domain.users.size;
    aliases += domain.aliases.size;
  }
  const relay = desired.relay === undefined ? 'relay unmanaged' : count(desired.relay.length, 'relay rule');
  const files = desired.files.length > 1 ? ` (${count(desired.files.length, 'file')})` : '';
  io.stdout(
    `${values.file} is valid${files}: ${count(desired.domains.size, 'domain')}, ${count(users, 'user')}, ${count(aliases, 'alias', 'aliases')}, ${relay}.\n`,
  );
  return EXIT.ok;
}
