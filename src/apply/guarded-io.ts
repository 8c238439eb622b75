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
 * The port with the tree guard in front: every path it writes, moves, removes, chmods, reads,
 * lists or locks below a domains/ tree (of ~vpopmail and of each `--domain-base`) or
 * ~vpopmail/archive is refused when a symbolic link or a non-directory stands on the way. ~vpopmail/etc and qmail's
 * files are root's and are not guarded: distributions link /var/qmail/control to /etc/qmail.
 */
export function guardedIo(io: ApplyIo, vpopmailHome: string, domainBases: readonly string[] = []): ApplyIo {
  const trees: GuardedTree[] = [
    { prefix: `${vpopmailHome}/domains/`, root: vpopmailHome },
    { prefix: `${vpopmailHome}/archive/`, root: vpopmailHome },
    ...domainBases.map((base) => ({ prefix: `${base}/domains/`, root: base })),
  ];
  const check = (path: string) => {
    for (const tree of trees) if (path.startsWith(tree.prefix)) return assertNoSymlinkBelow(io, tree.root, path);
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
