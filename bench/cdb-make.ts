/**
 * Our CDB writer as a whole process, for the comparison with tinycdb's `cdb -c`: reads a vpasswd
 * file and writes the vpasswd.cdb vpopmail's vmkpasswd would build from it, as apply does. Prints
 * on standard error how long that took inside the process (node's own startup excluded).
 *
 * Usage: node cdb-make.js VPASSWD OUT.cdb
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { buildCdbFromRanges } from '../src/cdb/write.js';
import { cdbRangesFromVpasswd } from '../src/formats/vpasswd-cdb.js';

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  process.stderr.write('usage: cdb-make VPASSWD OUT.cdb\n');
  process.exit(2);
}
const started = performance.now();
writeFileSync(output, buildCdbFromRanges(cdbRangesFromVpasswd(readFileSync(input))));
process.stderr.write(`${JSON.stringify({ inProcessMs: performance.now() - started })}\n`);
