// @ts-check
// glibc's getopt(), whose permutation of argv and whose messages vpopmail's programs expose.

import { ARGV } from './invocation.mjs';
import { err } from './output.mjs';

/**
 * @typedef {object} Getopt
 * @property {number} optind
 * @property {string | null} optarg null only when an optional argument ("r::") is absent
 * @property {string[]} argv argv as permuted so far: the operands end up after the options
 * @property {() => string | -1} next the next option character, '?' for a bad one, -1 at the end
 */

/**
 * @param {string[]} args argv, argv[0] included
 * @param {string} optstring
 * @returns {Getopt}
 */
export function makeGetopt(args, optstring) {
  const argv = args.slice();
  const argc = argv.length;
  let spec = optstring;
  let posixly = !!process.env.POSIXLY_CORRECT;
  if (spec.startsWith('+')) {
    posixly = true;
    spec = spec.slice(1);
  }
  /** @type {Map<string, number>} how many colons follow each option letter */
  const kinds = new Map();
  for (let i = 0; i < spec.length; i++) {
    const c = spec[i];
    if (c === ':') continue;
    let k = 0;
    if (spec[i + 1] === ':') {
      k = spec[i + 2] === ':' ? 2 : 1;
    }
    kinds.set(c, k);
  }
  const state = /** @type {Getopt} */ ({ optind: 1, optarg: null, argv });
  let nextchar = '';
  let first = 1;
  let last = 1;
  const nonoption = (/** @type {string} */ s) => s[0] !== '-' || s.length === 1;
  function exchange() {
    const bottom = first;
    const middle = last;
    const top = state.optind;
    const nonopts = argv.slice(bottom, middle);
    const opts = argv.slice(middle, top);
    argv.splice(bottom, top - bottom, ...opts, ...nonopts);
    first += state.optind - last;
    last = state.optind;
  }
  state.next = function next() {
    state.optarg = null;
    if (nextchar === '') {
      if (last > state.optind) last = state.optind;
      if (first > state.optind) first = state.optind;
      if (!posixly) {
        if (first !== last && last !== state.optind) exchange();
        else if (last !== state.optind) first = state.optind;
        while (state.optind < argc && nonoption(argv[state.optind])) state.optind++;
        last = state.optind;
      }
      if (state.optind !== argc && argv[state.optind] === '--') {
        state.optind++;
        if (first !== last && last !== state.optind) exchange();
        else if (first === last) first = state.optind;
        last = argc;
        state.optind = argc;
      }
      if (state.optind === argc) {
        if (first !== last) state.optind = first;
        return -1;
      }
      if (nonoption(argv[state.optind])) return -1; // POSIXLY_CORRECT
      nextchar = argv[state.optind].slice(1);
    }
    const c = nextchar[0];
    nextchar = nextchar.slice(1);
    if (nextchar === '') state.optind++;
    if (!kinds.has(c)) {
      err(`${ARGV[0]}: invalid option -- '${c}'\n`);
      return '?';
    }
    const k = kinds.get(c);
    if (k === 2) {
      if (nextchar !== '') {
        state.optarg = nextchar;
        state.optind++;
      }
      nextchar = '';
    } else if (k === 1) {
      if (nextchar !== '') {
        state.optarg = nextchar;
        state.optind++;
      } else if (state.optind === argc) {
        err(`${ARGV[0]}: option requires an argument -- '${c}'\n`);
        nextchar = '';
        return '?';
      } else {
        state.optarg = argv[state.optind++];
      }
      nextchar = '';
    }
    return c;
  };
  return state;
}
