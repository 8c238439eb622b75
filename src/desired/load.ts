import { dirname, relative, resolve } from 'node:path';
import type { Diagnostic, Result } from '../model/diagnostic.js';
import type { DesiredState } from '../model/state.js';
import { buildDesired, sharedContext } from './assemble.js';
import { checkIncludes } from './check-pool.js';
import { decodeYaml } from './decode-yaml.js';
import { includePatterns } from './include.js';
import { nodeReadDir, readIncludes, selectIncludedFiles } from './include-files.js';
import type { DirEntry, IncludeSource } from './include-files.js';
import { ioReason } from './io-reason.js';
import type { Overrides } from './normalize.js';
import { parseYaml } from './parse.js';
import { readYamlFile } from './read-yaml-file.js';

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
  const display = (path: string): string =>
    options.displayBase === undefined ? path : relative(options.displayBase, resolve(path)) || path;
  const mainName = display(file);
  const mainText = await readMainFile(file, read, mainName);
  if ('problem' in mainText) return { ok: false, diagnostics: [mainText.problem] };
  const main = parseYaml(mainText.text, mainName, 'main');
  const base = dirname(file);
  const { patterns, diagnostics } = includePatterns(main);
  const source: IncludeSource = {
    main,
    patterns,
    base,
    read,
    list: options.readDir ?? nodeReadDir,
    display,
    onDisk: options.readFile === undefined,
  };
  const selected = await selectIncludedFiles(source, file);
  const { readable, problems } = await readIncludes(source, selected.files);
  const includes = await checkIncludes(readable, sharedContext(main, base));
  return buildDesired(
    { main, mainDir: base, includes, diagnostics: [...diagnostics, ...selected.diagnostics, ...problems] },
    options.overrides,
  );
}

/** The main file's text, or why there is none; `name` is the file as messages show it. */
async function readMainFile(
  file: string,
  read: (path: string) => Promise<string | Uint8Array>,
  name: string,
): Promise<{ text: string } | { problem: Diagnostic }> {
  try {
    const decoded = decodeYaml(await read(file));
    if ('invalid' in decoded) return { problem: { ...decoded.invalid, file: name } };
    return { text: decoded.text };
  } catch (error) {
    const message = `cannot read the file: ${ioReason(error)}`;
    return { problem: { severity: 'error', code: 'unreadable', message, file: name } };
  }
}
