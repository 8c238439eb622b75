import { createRequire, syncBuiltinESMExports } from 'node:module';

/**
 * Syscall-level fault injection for in-process apply tests. Node keeps the named exports of
 * built-in modules in step with their CommonJS objects through `syncBuiltinESMExports()`, so
 * wrapping `fs.renameSync` here is seen by `import { renameSync } from 'node:fs'` in src/apply.
 * Only calls that change the disk or run a program count: each is a place where a real server
 * can fail (full disk, I/O error, permission, a tool that exits non-zero).
 */
const require = createRequire(import.meta.url);
const fs = require('node:fs') as Record<string, unknown>;
const childProcess = require('node:child_process') as Record<string, unknown>;

const FS_MUTATORS = [
  'writeSync',
  'writeFileSync',
  'fsyncSync',
  'renameSync',
  'mkdirSync',
  'chownSync',
  'fchownSync',
  'lchownSync',
  'fchmodSync',
  'chmodSync',
  'unlinkSync',
  'rmSync',
  'symlinkSync',
  'linkSync',
  'copyFileSync',
  'cpSync',
  'utimesSync',
];
const PROGRAM_RUNNERS = ['execFileSync', 'spawnSync'];

function opensForWriting(args: unknown[]): boolean {
  const flags = args[1];
  if (flags === undefined) return false;
  if (typeof flags === 'number') {
    const c = fs.constants as Record<string, number>;
    return (flags & (c.O_WRONLY! | c.O_RDWR! | c.O_CREAT! | c.O_TRUNC! | c.O_APPEND!)) !== 0;
  }
  return /[wa+]/.test(String(flags));
}

export interface SyscallCall {
  index: number;
  name: string;
  target: string;
}

/** Decides per call: return an Error to make that call fail, undefined to let it run. */
export type FaultPolicy = (call: SyscallCall) => Error | undefined;

export function errnoError(code: string, call: SyscallCall): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected failure in ${call.name} ${call.target} (call ${call.index})`), {
    code,
    syscall: call.name,
  });
}

/** Runs `work` with every mutating fs call and program run passed through `policy`; restores them after. */
export async function withSyscallFaults<T>(
  policy: FaultPolicy,
  work: () => Promise<T>,
): Promise<{ result: T | undefined; error: unknown; calls: SyscallCall[] }> {
  const calls: SyscallCall[] = [];
  const saved = new Map<Record<string, unknown>, Map<string, unknown>>();
  const wrap = (module: Record<string, unknown>, name: string, counts: (args: unknown[]) => boolean) => {
    const original = module[name] as (...args: unknown[]) => unknown;
    if (typeof original !== 'function') return;
    if (!saved.has(module)) saved.set(module, new Map());
    saved.get(module)!.set(name, original);
    module[name] = function (this: unknown, ...args: unknown[]) {
      if (counts(args)) {
        const call = { index: calls.length + 1, name, target: String(args[0]) };
        calls.push(call);
        const failure = policy(call);
        // spawnSync reports a failed program in its result rather than by throwing.
        if (failure && name === 'spawnSync')
          return { pid: 0, status: 1, signal: null, output: [], stdout: '', stderr: `${failure.message}\n` };
        if (failure) throw failure;
      }
      return original.apply(this, args);
    };
  };
  for (const name of FS_MUTATORS) wrap(fs, name, () => true);
  wrap(fs, 'openSync', opensForWriting);
  for (const name of PROGRAM_RUNNERS) wrap(childProcess, name, () => true);
  syncBuiltinESMExports();
  try {
    const result = await work();
    return { result, error: undefined, calls };
  } catch (error) {
    return { result: undefined, error, calls };
  } finally {
    for (const [module, originals] of saved) for (const [name, original] of originals) module[name] = original;
    syncBuiltinESMExports();
  }
}
