/**
 * Generated sites, cached under `.bench/` (gitignored): a site is generated once per shape and
 * reused by later runs. A directory without its `manifest.json` is an interrupted generation and
 * is rebuilt.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { changeDomain, makeSite } from './site.js';
import type { ChangeSet, Site, SiteUser } from './site.js';
import { defaultComment } from '../src/model/names.js';
import { NOQUOTA } from '../src/model/quota.js';
import { treePaths, writeTree } from './write-tree.js';
import type { TreePaths } from './write-tree.js';
import { writeDesired } from './write-yaml.js';

/** Bump when the generated files change shape, so stale caches are not reused. */
const GENERATOR_VERSION = 1;

export interface SiteShape {
  domains: number;
  usersEach: number;
}

export interface Fixture {
  id: string;
  dir: string;
  shape: SiteShape;
  paths: TreePaths;
  users: number;
  /** mailstate.yaml matching the tree exactly. */
  syncFile: string;
}

/** A desired state that adds, modifies and deletes users of the site's first domain. */
export interface ChangeFixture {
  file: string;
  domain: string;
  domainDir: string;
  names: { add: string[]; modify: string[]; delete: string[] };
}

export interface ChangeCounts {
  add: number;
  modify: number;
  delete: number;
}

function siteOf(shape: SiteShape): Site {
  // The seed depends on the shape only, so a site is the same whenever it is generated.
  return makeSite(shape.domains * 1_000_003 + shape.usersEach, shape.domains, shape.usersEach);
}

function readManifest<T>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as { version: number; value: T };
  return manifest.version === GENERATOR_VERSION ? manifest.value : undefined;
}

function writeManifest(path: string, value: unknown): void {
  writeFileSync(path, JSON.stringify({ version: GENERATOR_VERSION, value }, null, 2));
}

function fresh(dir: string, log: (line: string) => void): void {
  if (!existsSync(dir)) return;
  log(`  removing incomplete ${dir}`);
  rmSync(dir, { recursive: true, force: true });
}

/** The tree and in-sync YAML of a site shape, generated on first use. */
export function loadFixture(cacheDir: string, shape: SiteShape, log: (line: string) => void): Fixture {
  const id = `d${shape.domains}-u${shape.usersEach}`;
  const dir = join(cacheDir, id);
  const cached = readManifest<Fixture>(join(dir, 'manifest.json'));
  if (cached) return cached;
  fresh(dir, log);
  const started = Date.now();
  log(`  generating ${id}: ${shape.domains} domain(s) of ${shape.usersEach} users …`);
  const site = siteOf(shape);
  const paths = treePaths(join(dir, 'tree'));
  writeTree(site, paths.root);
  const fixture: Fixture = {
    id,
    dir,
    shape,
    paths,
    users: shape.domains * shape.usersEach,
    syncFile: writeDesired(site, paths, join(dir, 'sync')),
  };
  writeManifest(join(dir, 'manifest.json'), fixture);
  log(`  generated ${id} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return fixture;
}

/** The golden `$1$` hash of `secret1`: short, so 200,000 bare users stay under the 32 MiB file limit. */
const SHORT_HASH = '$1$abcdefgh$ywpTNDTYPzAT3Ohgseebp/';

/**
 * The YAML of a change to the fixture's first domain (the tree itself is not touched). `bare`:
 * added users carry only a short password hash, every other field at its default.
 */
export function loadChange(
  fixture: Fixture,
  counts: ChangeCounts,
  log: (line: string) => void,
  options: { bare?: boolean } = {},
): ChangeFixture {
  const dir = join(fixture.dir, `change-${counts.add}.${counts.modify}.${counts.delete}${options.bare ? '-bare' : ''}`);
  const cached = readManifest<ChangeFixture>(join(dir, 'manifest.json'));
  if (cached) return cached;
  fresh(dir, log);
  log(`  generating the change +${counts.add} ~${counts.modify} -${counts.delete} of ${fixture.id} …`);
  const site = siteOf(fixture.shape);
  const first = site.domains[0]!;
  const changed = changeDomain(7, first, counts);
  if (options.bare) {
    const added = new Set(changed.changes.add.map((user) => user.name));
    const bare = (user: SiteUser): SiteUser =>
      added.has(user.name)
        ? {
            name: user.name,
            hash: SHORT_HASH,
            clear: 'secret1',
            quota: NOQUOTA,
            comment: defaultComment(user.name),
            flags: 0,
          }
        : user;
    changed.domain = { ...changed.domain, users: changed.domain.users.map(bare) };
  }
  const change: ChangeFixture = {
    file: writeDesired({ ...site, domains: [changed.domain, ...site.domains.slice(1)] }, fixture.paths, dir),
    domain: first.name,
    domainDir: assignedDir(fixture, first.name),
    names: names(changed.changes),
  };
  writeManifest(join(dir, 'manifest.json'), change);
  return change;
}

/** The directory users/assign gives a domain. */
function assignedDir(fixture: Fixture, domain: string): string {
  const assign = readFileSync(join(fixture.paths.qmailHome, 'users', 'assign'), 'utf8');
  const line = assign.split('\n').find((l) => l.startsWith(`+${domain}-:`));
  if (!line) throw new Error(`${domain} is not in users/assign of ${fixture.id}`);
  return line.split(':')[4]!;
}

function names(changes: ChangeSet): { add: string[]; modify: string[]; delete: string[] } {
  return { add: changes.add.map((u) => u.name), modify: changes.modify.map((u) => u.name), delete: changes.delete };
}
