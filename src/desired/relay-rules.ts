import type { Diagnostic } from '../model/diagnostic.js';
import { relayAddressProblem, relayBreadthWarning } from '../model/relay.js';
import { quote } from './describe.js';
import { field } from './domains.js';
import { checkedStringList } from './list-rules.js';
import { diagnosticAt } from './parse.js';
import type { ParsedYaml } from './yaml-tree.js';

/** `relay:` of the main file: valid addresses, each once; a wide one warned of. */
export function relayRules(main: ParsedYaml): Diagnostic[] {
  const relay = field(main.data, 'relay');
  if (!Array.isArray(relay)) return [];
  return checkedStringList(main, ['relay'], 'relay', relay, (address, at) => {
    const problem = relayAddressProblem(address);
    if (problem) {
      const message = `relay: ${quote(address)} is refused: ${problem}`;
      return { diagnostics: [diagnosticAt(main, at, 'value', 'invalid-relay', message)] };
    }
    const breadth = relayBreadthWarning(address);
    const warning = breadth
      ? [diagnosticAt(main, at, 'value', 'wide-relay', `relay: ${quote(address)} ${breadth}`, 'warning')]
      : [];
    return { key: address, diagnostics: warning };
  });
}
