import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');

/** A crypt hash as it can appear in a YAML or test file: `$id$salt$hash`. */
const HASH_PATTERN = /\$(?:1|5|6|2[aby])\$[A-Za-z0-9./]{2,22}\$[A-Za-z0-9./]{20,}/g;

function* vpasswdFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* vpasswdFiles(path);
    else if (entry.name === 'vpasswd') yield path;
  }
}

/**
 * Every password hash and clear-text password the test suite's servers and YAML files carry:
 * field 2 and field 8 of each vpasswd of the golden corpus and the bundled example, and every
 * hash written in the bundled mailstate.yaml and in the test sources. Clear texts shorter than
 * six characters (`pw`) would match ordinary words and are left out.
 */
function collectSecrets(): string[] {
  const found = new Set<string>();
  for (const base of ['test/fixtures/golden', 'examples/sandbox']) {
    for (const file of vpasswdFiles(join(ROOT, base))) {
      for (const line of readFileSync(file, 'latin1').split('\n')) {
        const fields = line.split(':');
        if (fields.length < 7) continue;
        if (fields[1]!.length >= 13) found.add(fields[1]!);
        const clear = fields.slice(7).join(':');
        if (clear.length >= 6) found.add(clear);
      }
    }
  }
  const sources = [
    join(ROOT, 'mailstate.yaml'),
    join(ROOT, 'test/support/builders.ts'),
    join(ROOT, 'test/desired/helpers.ts'),
  ];
  for (const file of sources) for (const hash of readFileSync(file, 'utf8').match(HASH_PATTERN) ?? []) found.add(hash);
  return [...found];
}

export const KNOWN_SECRETS: readonly string[] = collectSecrets();

/** Environment variables a test passes that hold clear-text passwords, by name. */
export const SECRET_ENV_NAME = /(PW|PASS|PASSWORD|SECRET)$/i;

/** The secrets of `extra` and KNOWN_SECRETS that occur in `output`. */
export function leakedSecrets(output: string, extra: readonly string[] = []): string[] {
  return [...KNOWN_SECRETS, ...extra].filter((secret) => output.includes(secret));
}
