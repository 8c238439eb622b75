// @ts-check
import { vgetAssign } from '../lib/assign.mjs';
import { VA } from '../lib/messages.mjs';
import { makeVpasswdCdb, vpasswdFiles } from '../lib/vpasswd.mjs';
import { lower } from '../runtime/cstring.mjs';
import { statOrNull, touchLock } from '../runtime/files.mjs';
import { ARGV } from '../runtime/invocation.mjs';
import { out, vexit } from '../runtime/output.mjs';

export function cmdVmkpasswd() {
  if (ARGV.length !== 2) {
    out('vmkpasswd: usage: domain \n');
    vexit(-1);
  }
  const domain = lower(ARGV[1]);
  const a = vgetAssign(domain);
  if (!a || !statOrNull(a.dir)?.isDirectory()) vexit(VA.BAD_DIR);
  const f = vpasswdFiles(a);
  touchLock(f.lock);
  makeVpasswdCdb({ ...a, domain });
  vexit(0);
}
