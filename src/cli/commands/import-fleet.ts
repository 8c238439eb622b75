import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ioReason } from '../../desired/io-reason.js';
import { importFleetToYaml, type FleetImportSource } from '../../import/fleet.js';
import { formatDiagnostic } from '../../model/diagnostic.js';
import { serverNameProblem } from '../../model/names.js';
import { parseSnapshot } from '../../snapshot/format.js';
import { checkOutputTarget, ExitError, type CliIo } from '../io.js';
import { readLiveOrExit, stderrReport } from '../pipeline.js';
import { SCHEMA_FILE, writeImported } from './import-output.js';

interface FleetImportValues {
  output?: string;
  split?: string;
  domain?: string[];
  tree?: string[];
  'live-dir'?: string;
  route?: string[];
  'qmail-home': string;
}

/** `NAME=VALUE` pairs of a repeatable option, each NAME a valid server name given once. */
function pairs(option: string, given: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const pair of given) {
    const equals = pair.indexOf('=');
    const name = pair.slice(0, equals);
    const value = pair.slice(equals + 1);
    if (equals <= 0 || value === '') throw new ExitError(`mailstate import: --${option} ${pair}: expected NAME=VALUE`);
    const problem = serverNameProblem(name);
    if (problem) throw new ExitError(`mailstate import: --${option} ${pair}: "${name}": ${problem}`);
    if (map.has(name)) throw new ExitError(`mailstate import: --${option} names server ${name} twice`);
    map.set(name, value);
  }
  return map;
}

async function treeSources(trees: Map<string, string>, io: CliIo, qmailDefault: string): Promise<FleetImportSource[]> {
  const sources: FleetImportSource[] = [];
  for (const [server, value] of trees) {
    const colon = value.indexOf(':');
    const vpopmailHome = resolve(io.cwd, colon === -1 ? value : value.slice(0, colon));
    const qmailHome = resolve(io.cwd, colon === -1 ? qmailDefault : value.slice(colon + 1));
    const report = stderrReport(io);
    const { live } = await readLiveOrExit((d) => report({ ...d, message: `${server}: ${d.message}` }), {
      vpopmailHome,
      qmailHome,
    });
    sources.push({ server, live, fromSnapshot: false });
  }
  return sources;
}

function snapshotSources(dir: string, shown: string): FleetImportSource[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((name) => name.endsWith('.json'));
  } catch (error) {
    throw new ExitError(`mailstate import: cannot read --live-dir ${shown}: ${ioReason(error)}`);
  }
  if (files.length === 0)
    throw new ExitError(
      `mailstate import: --live-dir ${shown} holds no snapshot (<server>.json, from mailstate snapshot)`,
    );
  return files.sort().map((name) => {
    const server = name.slice(0, -'.json'.length);
    const problem = serverNameProblem(server);
    if (problem) throw new ExitError(`mailstate import: ${join(shown, name)}: "${server}": ${problem}`);
    const file = join(dir, name);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ExitError(`mailstate import: cannot read ${join(shown, name)}: ${ioReason(error)}`);
    }
    const parsed = parseSnapshot(text, join(shown, name));
    if (!parsed.ok) throw new ExitError(parsed.diagnostics.map(formatDiagnostic).join('\n'));
    return { server, live: parsed.value.live, fromSnapshot: true };
  });
}

/** `import --tree ... | --live-dir DIR`: one fleet YAML from several servers. */
export async function importFleetCommand(values: FleetImportValues, io: CliIo): Promise<number> {
  if (values.tree !== undefined && values['live-dir'] !== undefined)
    throw new ExitError('mailstate import: give --tree NAME=DIR or --live-dir DIR, not both');
  if (values.split !== undefined)
    throw new ExitError('mailstate import: --split is for one server; a fleet is written with -o FILE');
  const target = values.output === undefined || values.output === '-' ? undefined : resolve(io.cwd, values.output);
  if (target !== undefined) checkOutputTarget(target, values.output!);
  const routes = pairs('route', values.route ?? []);
  const sources =
    values.tree !== undefined
      ? await treeSources(pairs('tree', values.tree), io, resolve(io.cwd, values['qmail-home']))
      : snapshotSources(resolve(io.cwd, values['live-dir']!), values['live-dir']!);
  for (const server of routes.keys())
    if (!sources.some((source) => source.server === server))
      throw new ExitError(`mailstate import: --route names server ${server}, which is not among those imported`);
  for (const domain of values.domain ?? [])
    if (!sources.some((source) => source.live.domains.has(domain)))
      throw new ExitError(`mailstate import: domain "${domain}" is on none of the servers`);
  const schemaPath = relative(target ? dirname(target) : io.cwd, SCHEMA_FILE) || SCHEMA_FILE;
  const imported = importFleetToYaml(sources, {
    routes,
    ...(values.domain ? { domains: values.domain } : {}),
    schemaPath,
  });
  const domains = new Set(sources.flatMap((source) => [...source.live.domains.keys()])).size;
  return writeImported(
    io,
    imported,
    target,
    values.output,
    `${sources.length} servers, ${domains} domain${domains === 1 ? '' : 's'} read`,
  );
}
