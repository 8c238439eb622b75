import type { Diagnostic } from '../model/diagnostic.js';
import { relayAddressProblem } from '../model/relay.js';
import type { TcpRulesLine } from '../model/state.js';

/** What follows the address in every rule mailstate writes. */
export const RELAY_RULE_SUFFIX = ':allow,RELAYCLIENT=""';

/** The exact tcp.smtp line mailstate writes, and the only form it recognises as its own. */
export function relayRuleLine(address: string): string {
  return `${address}${RELAY_RULE_SUFFIX}`;
}

const MANAGED_RULE = /^([^:]*):allow,RELAYCLIENT=""$/;

/** The address of a tcp.smtp line that mailstate manages, or undefined for any other line. */
export function managedRelayAddress(line: string): string | undefined {
  const match = MANAGED_RULE.exec(line);
  if (!match || relayAddressProblem(match[1]!) !== undefined) return undefined;
  return match[1];
}

/** Every line of tcp.smtp in order, and the lines tcprules would skip. */
export interface ParsedTcpRules {
  lines: TcpRulesLine[];
  diagnostics: Diagnostic[];
}

/**
 * Splits `~vpopmail/etc/tcp.smtp` into lines mailstate manages (exactly `ADDRESS:allow,RELAYCLIENT=""`
 * with a valid relay address) and every other line, kept verbatim so a rewrite leaves it untouched.
 *
 * tcprules (ucspi-tcp tcprules.c) skips `#` lines and lines that are empty once trailing blanks are
 * cut, and silently skips any other line without a `:`; only the last case is a mistake worth a
 * warning, since a broken file can compile to an empty cdb.
 */
export function parseTcpRules(text: string, file: string): ParsedTcpRules {
  const lines: TcpRulesLine[] = [];
  const diagnostics: Diagnostic[] = [];
  const raw = text.split('\n');
  if (raw[raw.length - 1] === '') raw.pop();
  for (const [index, textLine] of raw.entries()) {
    const line = index + 1;
    const address = managedRelayAddress(textLine);
    if (address !== undefined) {
      lines.push({ kind: 'relay', address, line, text: textLine });
      continue;
    }
    lines.push({ kind: 'other', text: textLine, line });
    const trimmed = textLine.replace(/[ \t]+$/, '');
    if (trimmed === '' || textLine.startsWith('#')) continue;
    if (!trimmed.includes(':')) {
      diagnostics.push({
        severity: 'warning',
        code: 'tcp-smtp-skipped-line',
        // JSON.stringify escapes every control character but DEL: no byte of the file reaches a terminal raw.
        message: `tcp.smtp line ${line} has no ":", so tcprules silently skips it: ${JSON.stringify(textLine).replaceAll('\x7f', '\\u007f')}`,
        file,
        line,
      });
    }
  }
  return { lines, diagnostics };
}
