import { describe, expect, it } from 'vitest';
import { relayBreadthWarning } from '../../src/model/relay.js';
import { lines, load } from './helpers.js';

const relay = (...addresses: string[]) =>
  `version: 1\nrelay: [${addresses.map((a) => JSON.stringify(a)).join(', ')}]\n`;

describe('relay rules wider than a /24 of public space', () => {
  it('warns on a public /8 and /16, at the rule, and still loads', () => {
    const text = relay('8.', '8.8.');
    expect(lines(text)).toEqual([
      'mailstate.yaml:2:9: warning: relay: "8." lets every client in 8.0.0.0/8 relay, public address space wider than a /24 (close to an open relay): list the networks you mean',
      'mailstate.yaml:2:15: warning: relay: "8.8." lets every client in 8.8.0.0/16 relay, public address space wider than a /24 (close to an open relay): list the networks you mean',
    ]);
    const result = load(text);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.value.relay?.map((r) => r.address)).toEqual(['8.', '8.8.']);
  });

  it('warns on ranges that span more than one public /24', () => {
    expect(lines(relay('8.1-2.', '8.8.1-9.'))).toEqual([
      'mailstate.yaml:2:9: warning: relay: "8.1-2." lets every client in 8.1.0.0-8.2.255.255 relay, public address space wider than a /24 (close to an open relay): list the networks you mean',
      'mailstate.yaml:2:19: warning: relay: "8.8.1-9." lets every client in 8.8.1.0-8.8.9.255 relay, public address space wider than a /24 (close to an open relay): list the networks you mean',
    ]);
  });

  it('accepts private, loopback, link-local and shared space of any width, and /24s or less of public space', () => {
    expect(
      lines(
        relay(
          '10.',
          '127.',
          '192.168.',
          '172.16.',
          '172.16-31.',
          '172.31.',
          '169.254.',
          '100.64.',
          '100.64-127.',
          '10.1-9.',
          '8.8.8.',
          '8.8.8.8',
          '8.8.8.1-200',
        ),
      ),
    ).toEqual([]);
  });

  it('warns where the private space ends', () => {
    for (const address of [
      '192.',
      '172.',
      '172.15.',
      '172.32.',
      '172.15-16.',
      '169.',
      '100.',
      '100.63.',
      '100.64-128.',
      '192.169.',
      '11.',
    ]) {
      expect(relayBreadthWarning(address), address).toBeDefined();
    }
  });

  it('refuses 255.255.255.255 and anything in 0.0.0.0/8', () => {
    expect(lines(relay('255.255.255.255', '0.', '0.0.0.0'))).toEqual([
      'mailstate.yaml:2:9: error: relay: "255.255.255.255" is refused: 255.255.255.255 is the broadcast address, never a client',
      'mailstate.yaml:2:28: error: relay: "0." is refused: 0.0.0.0/8 is not a client network; an open relay (every client) is never allowed',
      'mailstate.yaml:2:34: error: relay: "0.0.0.0" is refused: 0.0.0.0/8 is not a client network; an open relay (every client) is never allowed',
    ]);
    expect(load(relay('255.255.255.255')).ok).toBe(false);
  });
});
