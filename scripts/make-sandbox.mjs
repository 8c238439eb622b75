// Builds a private vpopmail/qmail tree from a seed in the golden-corpus layout (see
// examples/sandbox/README.md): `node scripts/make-sandbox.mjs examples/sandbox sandbox`.
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildSandboxFromGolden } from '../dist/sandbox/build.js';

const [seed = 'examples/sandbox', target = 'sandbox'] = process.argv.slice(2);
rmSync(resolve(target), { recursive: true, force: true });
const sandbox = await buildSandboxFromGolden(resolve(seed), resolve(target));
console.log(
  `Sandbox vpopmail server in ${target}/ (vpopmail home ${sandbox.vpopmailHome}, qmail home ${sandbox.qmailHome})`,
);
