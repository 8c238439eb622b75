import type { Diagnostic } from '../model/diagnostic.js';
import { relayAddressProblem, relayBreadthWarning } from '../model/relay.js';
import { quote } from './describe.js';
import { field } from './domains.js';
import { duplicates } from './list-rules.js';
import type { ListItem } from './list-rules.js';
import { diagnosticAt } from './parse.js';
import type { ParsedYaml } from './yaml-tree.js';

/** `relay:` of the main file: valid addresses, each once. */
export function relayRules(main: ParsedYaml): Diagnostic[] {
  const relay = field(main.data, 'relay');
  if (!Array.isArray(relay)) return [];
  const out: Diagnostic[] = [];
  const valid: Array<ListItem | undefined> = [];
  for (const [index, address] of relay.entries()) {
    if (typeof address !== 'string') {
      valid.push(undefined);
      continue;
    }
    const problem = relayAddressProblem(address);
    if (problem)
      out.push(
        diagnosticAt(
          main,
          ['relay', index],
          'value',
          'invalid-relay',
          `relay: ${quote(address)} is refused: ${problem}`,
        ),
      );
    const breadth = problem ? undefined : relayBreadthWarning(address);
    if (breadth)
      out.push(
        diagnosticAt(main, ['relay', index], 'value', 'wide-relay', `relay: ${quote(address)} ${breadth}`, 'warning'),
      );
    valid.push(problem ? undefined : { key: address, shown: address });
  }
  return [...out, ...duplicates(main, ['relay'], 'relay', valid)];
}
