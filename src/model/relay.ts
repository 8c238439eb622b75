/**
 * Relay rules are tcprules address prefixes for IPv4 clients (ucspi-tcp tcprules.c): an exact
 * address `10.0.0.5`, a prefix ending in `.` such as `192.168.1.`, or a range in the last
 * component (`10.1.2.3-40`, `10.2-3.`). Host names, `info@` forms and IPv6 are refused: vanilla
 * tcprules splits at the first `:`, and names are only as good as reverse DNS.
 */
const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

export function relayAddressProblem(address: string): string | undefined {
  if (address.length === 0) return 'an empty relay prefix matches every client: that is an open relay';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\s]/.test(address)) return 'relay address contains white space or a control character';
  if (address.includes(':'))
    return 'relay address contains ":" (IPv6 and extra tcprules instructions are not supported)';
  if (/[,="'@]/.test(address)) return 'relay address may only contain digits, "." and "-"';
  if (!/^[0-9.-]+$/.test(address))
    return 'relay address must be an IPv4 address or prefix such as 10.0.0.5 or 192.168.1.';
  const isPrefix = address.endsWith('.');
  const parts = (isPrefix ? address.slice(0, -1) : address).split('.');
  if (parts.length > 4 || (!isPrefix && parts.length !== 4) || (isPrefix && parts.length > 3)) {
    return 'relay address must be a full IPv4 address or a prefix of 1 to 3 octets ending in "."';
  }
  for (const [index, part] of parts.entries()) {
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (range) {
      if (index !== parts.length - 1) return 'a range (a-b) is only allowed in the last component';
      if (index === 0) return 'a range in the first octet is too wide for a relay rule';
      const [low, high] = [range[1]!, range[2]!];
      if (!OCTET.test(low) || !OCTET.test(high) || Number(low) > Number(high))
        return `"${part}" is not a valid octet range`;
      continue;
    }
    if (!OCTET.test(part)) return `"${part}" is not an octet (0-255)`;
  }
  // No client connects from 0.0.0.0/8 ("this network"): a rule for it can only be a mistake for
  // the everything-matching rules (0.0.0.0/0, an empty prefix) that make an open relay.
  if (parts[0] === '0') return '0.0.0.0/8 is not a client network; an open relay (every client) is never allowed';
  if (address === '255.255.255.255') return '255.255.255.255 is the broadcast address, never a client';
  return undefined;
}

/** Octet ranges [low, high] of a valid relay address or prefix, one per component. */
function componentRanges(address: string): Array<[number, number]> {
  const parts = (address.endsWith('.') ? address.slice(0, -1) : address).split('.');
  return parts.map((part) => {
    const [low, high = low] = part.split('-').map(Number) as [number, number?];
    return [low, high];
  });
}

/**
 * Whether every address of first.second (second in [low, high]) is private, loopback,
 * link-local or shared (carrier-grade NAT) space: 10/8, 127/8, 172.16/12, 192.168/16,
 * 169.254/16, 100.64/10.
 */
function privateSpan(first: number, low?: number, high?: number): boolean {
  if (first === 10 || first === 127) return true;
  if (low === undefined || high === undefined) return false;
  if (first === 172) return low >= 16 && high <= 31;
  if (first === 192) return low === 168 && high === 168;
  if (first === 169) return low === 254 && high === 254;
  if (first === 100) return low >= 64 && high <= 127;
  return false;
}

/**
 * A warning for a valid relay rule that lets more than one /24 of public address space relay
 * (`8.`, `8.8.`, `8.8.1-9.`): close to an open relay, and seldom what was meant. Private,
 * loopback, link-local and shared space may be as wide as it likes (`10.`, `172.16.`).
 */
export function relayBreadthWarning(address: string): string | undefined {
  if (!address.endsWith('.')) return undefined;
  const ranges = componentRanges(address);
  const [first, second, third] = ranges;
  if (first === undefined) return undefined;
  // A 3-octet prefix is one /24 unless its last octet is a range.
  if (third !== undefined && third[0] === third[1]) return undefined;
  if (privateSpan(first[0], second?.[0], second?.[1])) return undefined;
  const low = [...ranges.map(([l]) => l), 0, 0, 0].slice(0, 4).join('.');
  const high = [...ranges.map(([, h]) => h), 255, 255, 255].slice(0, 4).join('.');
  const span = ranges.every(([l, h]) => l === h) ? `${low}/${ranges.length * 8}` : `${low}-${high}`;
  return `lets every client in ${span} relay, public address space wider than a /24 (close to an open relay): list the networks you mean`;
}
