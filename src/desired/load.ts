import { isUtf8 } from 'node:buffer';
import { constants } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { Diagnostic, Result } from '../model/diagnostic.js';
import type { DesiredState } from '../model/state.js';
import { buildDesired, sharedContext } from './assemble.js';
import { checkIncludes } from './check-pool.js';
import type { IncludeInput } from './check-pool.js';
import { quote } from './describe.js';
import { globMatcher, hasWildcard } from './glob.js';
import { includePatterns, selectIncludes } from './include.js';
import type { IncludePattern } from './include.js';
import type { Overrides } from './normalize.js';
import { diagnosticAt, parseYaml, stripBom } from './parse.js';
import { lineColOf, lineStartsOf } from './yaml-tree.js';
import type { ParsedYaml } from './yaml-tree.js';

/**
 * The largest YAML file mailstate reads, main or included; a larger one is refused before it is
 * read. The benchmark's largest single file, one domain of 100,000 users, is 17.6 MB, and loading
 * takes about 40 bytes of memory per byte of YAML: the cap keeps a hostile file's cost near 1.3 GB
 * while leaving room for a domain of about 180,000 users. Larger sites split into files with
 * `include:`.
 */
export const MAX_YAML_BYTES = 32 * 1024 * 1024;

export interface DirEntry {
  name: string;
  kind: 'file' | 'directory' | 'other';
}

export interface LoadOptions {
  /**
   * Reads a file. Bytes are checked as UTF-8 (a file that is not is refused with the line and
   * column of the first bad byte); text is taken as decoded. Default: readYamlFile, which also
   * refuses anything but a regular file of at most MAX_YAML_BYTES.
   */
  readFile?: (path: string) => Promise<string | Uint8Array>;
  /** Lists a directory for `include:` globs; symbolic links to files count as files. */
  readDir?: (dir: string) => Promise<DirEntry[]>;
  overrides?: Overrides;
  /** Show file names in diagnostics and sources relative to this directory (e.g. the cwd). */
  displayBase?: string;
}

/**
 * Reads mailstate.yaml and the files its `include:` selects, validates all of them and returns
 * every problem at once, or the normalised DesiredState.
 */
export async function loadDesired(file: string, options: LoadOptions = {}): Promise<Result<DesiredState>> {
  const read = options.readFile ?? readYamlFile;
  const list = options.readDir ?? nodeReadDir;
  const display = (path: string): string =>
    options.displayBase === undefined ? path : relative(options.displayBase, resolve(path)) || path;
  const mainName = display(file);
  let text: string;
  try {
    const decoded = decodeYaml(await read(file));
    if ('invalid' in decoded) return { ok: false, diagnostics: [{ ...decoded.invalid, file: mainName }] };
    text = decoded.text;
  } catch (error) {
    return {
      ok: false,
      diagnostics: [
        { severity: 'error', code: 'unreadable', message: `cannot read the file: ${ioReason(error)}`, file: mainName },
      ],
    };
  }
  const main = parseYaml(text, mainName, 'main');
  const base = dirname(file);
  const { patterns, diagnostics } = includePatterns(main);
  const candidates = new Map<IncludePattern, string[]>();
  for (const pattern of patterns) candidates.set(pattern, await listCandidates(base, pattern.segments, list));
  const mainRelative = relative(base, file).split('\\').join('/');
  const selected = selectIncludes(main, patterns, (pattern) => candidates.get(pattern) ?? [], mainRelative);
  diagnostics.push(...selected.diagnostics);
  // Read at once, reported in file order.
  const texts = await Promise.all(
    selected.files.map(
      async (path): Promise<{ real: string; text: string } | { real: string; problem: Diagnostic }> => {
        const real = join(base, path);
        try {
          // On disk, a symbolic link matched by a pattern must not lead out of the repository: a pull
          // request could otherwise make the server read (and quote in messages) any file as YAML.
          if (options.readFile === undefined && (await leavesDirectory(base, real))) {
            return {
              real,
              problem: includeProblem(
                main,
                patterns,
                path,
                `include: ${quote(display(real))} is a symbolic link to a file outside the directory of the main file`,
              ),
            };
          }
          const decoded = decodeYaml(await read(real));
          if ('invalid' in decoded) return { real, problem: { ...decoded.invalid, file: display(real) } };
          return { real, text: decoded.text };
        } catch (error) {
          return {
            real,
            problem: includeProblem(
              main,
              patterns,
              path,
              `include: cannot read ${quote(display(real))}: ${ioReason(error)}`,
            ),
          };
        }
      },
    ),
  );
  const readable: IncludeInput[] = [];
  for (const entry of texts) {
    if ('problem' in entry) diagnostics.push(entry.problem);
    else readable.push({ text: entry.text, file: display(entry.real), fileDir: dirname(entry.real) });
  }
  const includes = await checkIncludes(readable, sharedContext(main, base));
  return buildDesired({ main, mainDir: base, includes, diagnostics }, options.overrides);
}

/** A problem with an included file, reported at the pattern that selected it. */
function includeProblem(
  main: ParsedYaml,
  patterns: readonly IncludePattern[],
  path: string,
  message: string,
): Diagnostic {
  const pattern = patterns.find((p) => globMatcher(p.segments)(path));
  return diagnosticAt(main, ['include', pattern?.index ?? 0], 'value', 'unreadable', message);
}

/** Whether `path`, with every symbolic link resolved, is outside `dir` (also resolved). */
async function leavesDirectory(dir: string, path: string): Promise<boolean> {
  const [realDir, realPath] = await Promise.all([realpath(dir), realpath(path).catch(() => undefined)]);
  if (realPath === undefined) return false; // the read reports it
  const inside = relative(realDir, realPath);
  return inside === '..' || inside.startsWith('../') || isAbsolute(inside);
}

/** A file refused before or while reading it; its message is the reason shown. */
class RefusedFile extends Error {}

function tooLarge(bytes: number): RefusedFile {
  return new RefusedFile(`it is larger than ${MAX_YAML_BYTES / 1024 / 1024} MiB (${bytes} bytes)`);
}

/**
 * Reads a YAML file as bytes: a regular file of at most MAX_YAML_BYTES, judged by its size before
 * anything is read and never read past the cap (it could grow meanwhile), so a huge file, a FIFO
 * or /dev/zero costs neither memory nor time.
 */
export async function readYamlFile(path: string): Promise<Uint8Array> {
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below).
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new RefusedFile('not a regular file');
    if (info.size > MAX_YAML_BYTES) throw tooLarge(info.size);
    // One byte more than the size, so that a file that grew is noticed; only a file that did grow
    // costs further buffers (a fresh 1 MiB per file to find EOF cost 1 GB of garbage per 1,000 includes).
    const chunks: Buffer[] = [];
    let total = 0;
    let buffer = Buffer.allocUnsafe(info.size + 1);
    let filled = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, null);
      if (bytesRead === 0) break;
      filled += bytesRead;
      total += bytesRead;
      if (total > MAX_YAML_BYTES) throw tooLarge(total);
      if (filled === buffer.length) {
        chunks.push(buffer);
        buffer = Buffer.allocUnsafe(64 * 1024);
        filled = 0;
      }
    }
    if (filled > 0) chunks.push(buffer.subarray(0, filled));
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}

type Decoded = { text: string } | { invalid: Omit<Diagnostic, 'file'> };

const UTF8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * A read file as text. Bytes that are not UTF-8 are refused at the first bad byte: decoding them
 * would silently turn them into U+FFFD (two different names could then meet, and what is applied
 * would not be what was reviewed). Text longer than the cap is refused too (readers that return text).
 */
export function decodeYaml(raw: string | Uint8Array): Decoded {
  if (typeof raw === 'string') {
    if (raw.length > MAX_YAML_BYTES) throw tooLarge(Buffer.byteLength(raw));
    return { text: raw };
  }
  if (raw.length > MAX_YAML_BYTES) throw tooLarge(raw.length);
  if (isUtf8(raw)) return { text: UTF8.decode(raw) };
  const bad = invalidUtf8Offset(raw);
  // Never expected (both checks follow RFC 3629), but a disagreement must not crash the loader.
  if (bad >= raw.length) return { text: UTF8.decode(raw) };
  // Columns count characters of the text before the bad byte, as everywhere else.
  const before = stripBom(UTF8.decode(raw.subarray(0, bad)));
  const byte = raw[bad]!.toString(16).padStart(2, '0');
  const message = `the file is not valid UTF-8 (byte 0x${byte}); save it as UTF-8`;
  return {
    invalid: { severity: 'error', code: 'not-utf8', message, ...lineColOf(lineStartsOf(before), before.length) },
  };
}

/** The offset of the first byte that does not belong to a well-formed UTF-8 sequence (RFC 3629: no overlong forms, no surrogates). */
function invalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    let length: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) length = 2;
    else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead === 0xe0) low = 0xa0;
      if (lead === 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead === 0xf0) low = 0x90;
      if (lead === 0xf4) high = 0x8f;
    } else return i;
    for (let k = 1; k < length; k++) {
      const next = bytes[i + k];
      if (next === undefined || next < (k === 1 ? low : 0x80) || next > (k === 1 ? high : 0xbf)) return i;
    }
    i += length;
  }
  return bytes.length;
}

/**
 * The files under `base` a pattern could match, as "/"-separated relative paths. The walk starts at
 * the pattern's literal directory prefix and goes no deeper than the pattern unless it has `**`;
 * it does not enter directories whose names start with ".".
 */
export async function listCandidates(
  base: string,
  segments: readonly string[],
  list: (dir: string) => Promise<DirEntry[]>,
): Promise<string[]> {
  const firstWild = segments.findIndex(hasWildcard);
  const prefixLength = firstWild === -1 ? segments.length - 1 : firstWild;
  const deep = segments.includes('**');
  const maxDepth = segments.length - prefixLength;
  const found: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    let entries: DirEntry[];
    try {
      entries = await list(dir === '' ? base : join(base, dir));
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = dir === '' ? entry.name : `${dir}/${entry.name}`;
      if (entry.kind === 'file') found.push(path);
      else if (entry.kind === 'directory' && !entry.name.startsWith('.') && (deep || depth + 1 < maxDepth))
        await walk(path, depth + 1);
    }
  };
  await walk(segments.slice(0, prefixLength).join('/'), 0);
  return found;
}

async function nodeReadDir(dir: string): Promise<DirEntry[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return Promise.all(
    entries.map(async (entry): Promise<DirEntry> => {
      if (entry.isFile()) return { name: entry.name, kind: 'file' };
      if (entry.isDirectory()) return { name: entry.name, kind: 'directory' };
      // A symbolic link to a file is included; links to directories are not followed (no loops).
      if (entry.isSymbolicLink()) {
        const target = await stat(join(dir, entry.name)).catch(() => undefined);
        if (target?.isFile()) return { name: entry.name, kind: 'file' };
      }
      return { name: entry.name, kind: 'other' };
    }),
  );
}

const IO_REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a parent is not a directory',
};

export function ioReason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return IO_REASONS[code] ?? code;
  return error instanceof Error ? error.message : String(error);
}
