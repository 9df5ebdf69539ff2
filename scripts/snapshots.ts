/**
 * Committed snapshots that CI diffs, so a change in storage layout or gas is a reviewed change:
 *
 * - `contracts/snapshots/storage-layout.txt`: the storage layout of every deployed contract (solc's
 *   `storageLayout`, selected in hardhat.config.ts), from Hardhat's build info: each variable's
 *   slot, offset and type, and each struct's members (AST ids stripped, so only layout counts).
 * - `.gas-snapshot`: the gas of every Solidity test case (Hardhat's own `test solidity --snapshot`;
 *   tests warp to fixed times and fuzz with a fixed seed, so the figures are exact).
 *
 *   node scripts/snapshots.ts --write   (npm run snapshot)        after a clean `hardhat build` (CI's is clean)
 *   node scripts/snapshots.ts --check   (npm run check:snapshots) fails naming what drifted
 */
import { spawnSync } from 'node:child_process';
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Not in a top-level snapshots/: Hardhat's --snapshot owns that folder (vm.snapshotGas) and clears it.
const LAYOUT_FILE = path.join(ROOT, 'contracts', 'snapshots', 'storage-layout.txt');
/** The contracts scripts/deploy-lib.ts deploys (TestToken on local chains only). */
const DEPLOYED = [
  'contracts/JobMarket.sol:JobMarket',
  'contracts/StakingVault.sol:StakingVault',
  'contracts/DisputeGame.sol:DisputeGame',
  'contracts/ElementJudge.sol:ElementJudge',
  'contracts/RelayoutJudge.sol:RelayoutJudge',
  'contracts/dev/TestToken.sol:TestToken',
] as const;

const mode = process.argv.includes('--write') ? 'write' : process.argv.includes('--check') ? 'check' : undefined;
if (mode === undefined) {
  console.error('usage: node scripts/snapshots.ts --write | --check');
  process.exit(2);
}

interface SolcStorage {
  readonly label: string;
  readonly slot: string;
  readonly offset: number;
  readonly type: string;
}
interface SolcType {
  readonly label: string;
  readonly numberOfBytes: string;
  readonly members?: readonly SolcStorage[];
  readonly key?: string;
  readonly value?: string;
  readonly base?: string;
}
interface SolcLayout {
  readonly storage: readonly SolcStorage[];
  readonly types: Readonly<Record<string, SolcType>> | null;
}
interface BuildOutput {
  readonly output: { readonly contracts?: Record<string, Record<string, { readonly storageLayout?: SolcLayout }>> };
}

/** A type id without the AST ids solc puts in it (`t_struct(Dispute)1234_storage` -> `t_struct(Dispute)_storage`). */
const typeId = (t: string) => t.replace(/\)\d+/g, ')');

/** One contract's layout as lines: its variables, then every type they reach (structs with members). */
function describe(name: string, layout: SolcLayout): string[] {
  const types = layout.types ?? {};
  const seen = new Map<string, string[]>();
  const visit = (t: string) => {
    const ty = types[t];
    if (ty === undefined || seen.has(typeId(t))) return;
    const entry = [`  type ${typeId(t)} = ${ty.label} (${ty.numberOfBytes} bytes)`];
    seen.set(typeId(t), entry);
    for (const m of ty.members ?? []) entry.push(`    ${m.slot}:${m.offset} ${m.label} ${typeId(m.type)}`);
    for (const next of [ty.key, ty.value, ty.base, ...(ty.members ?? []).map((m) => m.type)]) if (next !== undefined) visit(next);
  };
  const storage = layout.storage.map((v) => {
    visit(v.type);
    return `  ${v.slot}:${v.offset} ${v.label} ${typeId(v.type)}`;
  });
  const typeLines = [...seen.entries()].sort(([a], [b]) => a.localeCompare(b)).flatMap(([, l]) => l);
  return [name, ...storage, ...typeLines];
}

async function layouts(): Promise<string> {
  const dir = path.join(ROOT, 'artifacts', 'build-info');
  const found: Record<string, string[]> = {};
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.output.json')).sort()) {
    const { output } = JSON.parse(await readFile(path.join(dir, file), 'utf8')) as BuildOutput;
    for (const [source, contracts] of Object.entries(output.contracts ?? {})) {
      for (const [name, c] of Object.entries(contracts)) {
        const key = `${source.replace(/^project\//, '')}:${name}`;
        if ((DEPLOYED as readonly string[]).includes(key) && c.storageLayout) found[key] = describe(key, c.storageLayout);
      }
    }
  }
  const missing = DEPLOYED.filter((k) => !(k in found));
  if (missing.length > 0) throw new Error(`no storageLayout in artifacts/build-info for ${missing.join(', ')}: run npm run build:contracts`);
  return DEPLOYED.flatMap((k) => [...(found[k] ?? []), '']).join('\n');
}

/** Lines of `a` missing from `b`, each with the contract it belongs to. */
function missingFrom(a: string, b: string, sign: string): string[] {
  const other = new Set(b.split('\n'));
  let contract = '';
  const out: string[] = [];
  for (const line of a.split('\n')) {
    if (line !== '' && !line.startsWith(' ')) contract = line;
    else if (line !== '' && !other.has(line)) out.push(`  ${sign} ${contract}: ${line.trim()}`);
  }
  return out;
}

const failures: string[] = [];
const layoutText = await layouts();
if (mode === 'write') {
  await mkdir(path.dirname(LAYOUT_FILE), { recursive: true });
  await writeFile(LAYOUT_FILE, layoutText);
  console.log(`wrote ${path.relative(ROOT, LAYOUT_FILE)}`);
} else {
  const committed = await readFile(LAYOUT_FILE, 'utf8').catch(() => '');
  if (committed !== layoutText) {
    const removed = missingFrom(committed, layoutText, '-');
    const added = missingFrom(layoutText, committed, '+');
    if (removed.length + added.length === 0) removed.push('  (the same entries in another order)');
    failures.push(`storage layout drifted (${path.relative(ROOT, LAYOUT_FILE)}):\n${[...removed, ...added].join('\n')}`);
  }
}

// Gas: Hardhat's snapshot of every Solidity test case, written to or checked against .gas-snapshot.
const gas = spawnSync('hardhat', ['test', 'solidity', '--no-compile', mode === 'write' ? '--snapshot' : '--snapshot-check'], {
  cwd: ROOT,
  encoding: 'utf8',
});
if (gas.status !== 0) {
  const out = `${gas.stdout}${gas.stderr}`;
  const at = out.indexOf('Snapshot check failed');
  failures.push(`gas snapshot (.gas-snapshot) ${at >= 0 ? 'drifted' : 'could not be taken'}:\n${at >= 0 ? out.slice(at) : out.slice(-4000)}`);
} else if (mode === 'write') {
  console.log('wrote .gas-snapshot');
}

if (failures.length > 0) {
  console.error(failures.join('\n\n'));
  console.error(
    '\nIf the change is intended, run `rm -rf artifacts cache && npm run build:contracts && npm run snapshot` (a clean build: an incremental one can group test contracts into other compile jobs and shift their gas) and commit contracts/snapshots/ and .gas-snapshot.',
  );
  process.exitCode = 1;
} else if (mode === 'check') {
  console.log('snapshots match: storage layout and gas');
}
