import { basename, isAbsolute, join, relative } from 'node:path';
import type { Diagnostic } from '../model/diagnostic.js';
import { CONTROL_CHARACTER } from '../model/display.js';
import { quote } from './describe.js';
import { field, members } from './domains.js';
import type { FileRuleContext } from './file-rule.js';
import { diagnosticAt } from './parse.js';
import type { ParsedYaml } from './yaml-tree.js';

/**
 * `vpopmail.home` and `qmail.home` of the main file: every file mailstate writes is below them,
 * and a control character in a path is never what was meant (the schema requires a "/" first).
 */
export function homeRules(main: ParsedYaml): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const section of ['vpopmail', 'qmail']) {
    const home = field(field(main.data, section), 'home');
    if (typeof home === 'string' && CONTROL_CHARACTER.test(home)) {
      out.push(
        diagnosticAt(
          main,
          [section, 'home'],
          'value',
          'invalid-value',
          `home: ${quote(home)} contains a control character`,
        ),
      );
    }
  }
  return out;
}

/**
 * A `file:` secret outside the main file's directory draws a warning: a pull request could point it
 * at any file the reconciler can read on the server.
 */
export function secretFileRules(ctx: FileRuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const domain of ctx.domains) {
    for (const user of members(domain, 'users')) {
      const file = field(field(user.value, 'password'), 'file');
      if (typeof file !== 'string' || file === '') continue;
      const inside = relative(ctx.mainDir, isAbsolute(file) ? file : join(ctx.fileDir, file));
      if (inside === '..' || inside.startsWith('../') || isAbsolute(inside)) {
        const message = `file: ${quote(file)} is outside the directory of ${basename(ctx.mainFile)}`;
        out.push(
          diagnosticAt(
            domain.parsed,
            [...user.path, 'password', 'file'],
            'value',
            'secret-outside',
            message,
            'warning',
          ),
        );
      }
    }
  }
  return out;
}
