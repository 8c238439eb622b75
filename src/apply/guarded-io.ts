import { CHANGING_OPERATIONS, type ApplyIo } from './io.js';
import { assertNoSymlinkBelow } from './tree-guard.js';

/** Every operation whose first argument is a path (run's is a program, outside the tree). */
const GUARDED_OPERATIONS = [
  'read',
  'list',
  'withLock',
  ...CHANGING_OPERATIONS.filter((operation) => operation !== 'run'),
] as const satisfies readonly (keyof ApplyIo)[];

/** A subtree the vpopmail account can change, and the trusted directory its check starts from. */
interface GuardedTree {
  /** Paths starting with this prefix are guarded… */
  prefix: string;
  /** …with every component below this root checked. */
  root: string;
}

/**
 * The directory of the domain `path` lies in, below `prefix` (`<base>/domains/` or
 * `~vpopmail/archive/`): the hashed levels vadddomain makes (single characters) and the domain's
 * own name. Undefined for a path at that level or above.
 */
function domainChainOf(prefix: string, path: string): string | undefined {
  const parts = path.slice(prefix.length).split('/');
  const domainAt = parts.findIndex((part) => part.length !== 1);
  if (domainAt < 0 || domainAt === parts.length - 1) return undefined;
  return prefix + parts.slice(0, domainAt + 1).join('/');
}

/**
 * The port with the tree guard in front: every path it writes, moves, removes, chmods, reads,
 * lists or locks below a domains/ tree (of ~vpopmail and of each `--domain-base`) or
 * ~vpopmail/archive is refused when a symbolic link or a non-directory stands on the way.
 * ~vpopmail/etc and qmail's files are root's and are not guarded: distributions link
 * /var/qmail/control to /etc/qmail.
 *
 * Cost: a domain's chain of directories (`domains/`, the hashed levels, the domain directory) is
 * verified the first time the apply touches it, then remembered for the life of this port (one
 * apply); what lies below the domain directory is checked at every operation. Checking the chain
 * again at every operation cost a tenth of a 1,000-user apply (36,000 more lstat calls), and the
 * drivers already verified it once per domain batch before this port existed.
 */
export function guardedIo(io: ApplyIo, vpopmailHome: string, domainBases: readonly string[] = []): ApplyIo {
  const trees: GuardedTree[] = [
    { prefix: `${vpopmailHome}/domains/`, root: vpopmailHome },
    { prefix: `${vpopmailHome}/archive/`, root: vpopmailHome },
    ...domainBases.map((base) => ({ prefix: `${base}/domains/`, root: base })),
  ];
  const verifiedChains = new Set<string>();
  const check = (path: string) => {
    const tree = trees.find((candidate) => path.startsWith(candidate.prefix));
    if (!tree) return;
    const chain = domainChainOf(tree.prefix, path);
    if (chain !== undefined && verifiedChains.has(chain)) return assertNoSymlinkBelow(io, chain, path);
    assertNoSymlinkBelow(io, tree.root, path);
    // Only a chain that exists all the way is remembered: one this apply has yet to create is not.
    if (chain !== undefined && io.entry(chain)?.kind === 'directory') verifiedChains.add(chain);
  };
  const wrapped: ApplyIo = { ...io };
  for (const operation of GUARDED_OPERATIONS) {
    const inner = io[operation] as (...args: unknown[]) => unknown;
    (wrapped[operation] as (...args: unknown[]) => unknown) = (...args: unknown[]) => {
      check(args[0] as string);
      // move: the destination too.
      if (operation === 'move') check(args[1] as string);
      return inner(...args);
    };
  }
  return wrapped;
}
