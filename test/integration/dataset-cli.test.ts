// `veritrain-submit dataset` as a user runs it: a child process building records from an image
// folder, a CSV file and NPY arrays, whose printed model.input and data block complete a valid
// version-2 spec with the root of the records it wrote; and refusing bad input with the line,
// column or file at fault and the right exit code.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { runProgram, type ProgramResult } from './helpers/run.ts';
import { completeSpec, createHeliaStore, datasetRoot, parseJobSpec, recordBytes, type JobSpecV2Input } from '../../sdk/index.ts';

const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'sdk', 'cli', 'submit.ts');
const SEED = `0x${'33'.repeat(32)}`;

let dir: string;

function submit(...args: string[]): Promise<ProgramResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.VERITRAIN_KUBO_URL;
  return runProgram(CLI, args, { env, cwd: dir });
}

interface Printed {
  file: string;
  bytes: number;
  recordBytes: number;
  model: { input: number[] };
  outputs: number;
  classes?: string[];
  data: { root: string; cid?: string; recordCount: number; featureEncoding: 'u8-unit' | 'f32'; labelEncoding: 'class-u8' | 'f32'; seed: string };
}

/** A v2 spec around what `dataset` printed: one conv for images, one dense layer for flat records. */
function specOf(p: Printed, cid: string): Omit<JobSpecV2Input, 'graphRoot'> {
  const layers: JobSpecV2Input['model']['layers'] =
    p.model.input.length === 3
      ? [{ type: 'conv2d', filters: 2, kernel: 3 }, { type: 'relu' }, { type: 'flatten' }, { type: 'dense', units: p.outputs }]
      : [{ type: 'dense', units: p.outputs }];
  return {
    version: 2,
    model: { input: p.model.input, layers, loss: 'softmax-xent', initSeed: `0x${'11'.repeat(32)}` },
    optimizer: { kind: 'sgd-momentum', learningRate: 0.05, momentum: 0.9 },
    training: { steps: 10, checkpointInterval: 5, batchSize: 2 },
    data: { ...p.data, cid: p.data.cid ?? cid },
    dtype: 'fp32',
  };
}

function png(width: number, height: number, seed: number): Buffer {
  const image = new PNG({ width, height });
  for (let i = 0; i < image.data.length; i++) image.data[i] = i % 4 === 3 ? 255 : (i * 13 + seed) % 256;
  return PNG.sync.write(image, { colorType: 2 });
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'veritrain-dataset-cli-'));
  for (const [cls, count] of [
    ['dog', 2],
    ['cat', 3],
  ] as const) {
    await mkdir(path.join(dir, 'pets', cls), { recursive: true });
    for (let i = 0; i < count; i++) await writeFile(path.join(dir, 'pets', cls, `${i}.png`), png(6, 5, i + cls.length));
  }
  await writeFile(path.join(dir, 'iris.csv'), 'sepal,petal,species\n5.1,1.4,setosa\n6.3,4.9,versicolor\n5.8,5.1,virginica\n');
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('veritrain-submit dataset (child process)', () => {
  it('builds image records, uploads them, and prints a data block that completes a valid v2 spec', async () => {
    const r = await submit('dataset', '--images', 'pets', '--out', 'pets.bin', '--seed', SEED, '--upload', '--store-dir', 'ipfs');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /\[decode-images\] 1\/5\n[\s\S]*\[decode-images\] 5\/5\n/);
    assert.match(r.stderr, /\[dataset\] 5 records of 91 bytes from pets written to pets\.bin/);
    const printed = JSON.parse(r.stdout) as Printed;
    assert.deepEqual(printed.model.input, [5, 6, 3]);
    assert.deepEqual(printed.classes, ['cat', 'dog']);
    assert.equal(printed.outputs, 2);
    assert.equal(printed.data.recordCount, 5);
    assert.equal(printed.data.seed, SEED);
    assert.equal(typeof printed.data.cid, 'string');
    const spec = parseJobSpec(completeSpec(specOf(printed, '')));
    const records = new Uint8Array(await readFile(path.join(dir, 'pets.bin')));
    assert.equal(recordBytes(spec), printed.recordBytes);
    assert.equal(records.length, printed.bytes);
    assert.equal(datasetRoot(records, recordBytes(spec)), spec.data.root, 'the printed root is the root of the records written');
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((i) => records[i * 91 + 90]),
      [0, 0, 0, 1, 1],
      'cat (3 images) is class 0, dog class 1',
    );
    // The upload is the records file: the CID printed resolves to those bytes in the store.
    const store = createHeliaStore({ directory: path.join(dir, 'ipfs') });
    await store.start();
    try {
      const chunks: Uint8Array[] = [];
      for await (const c of store.get(printed.data.cid as string, { maxBytes: 1 << 20, offline: true })) chunks.push(c);
      assert.deepEqual(Buffer.concat(chunks), Buffer.from(records));
    } finally {
      await store.stop();
    }
  });

  it('builds CSV records with named classes; without --upload the block has no cid', async () => {
    const r = await submit('dataset', '--csv', 'iris.csv', '--label', 'species', '--label-names', '--out', 'iris.bin', '--quiet');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', '--quiet prints no progress');
    const printed = JSON.parse(r.stdout) as Printed;
    assert.deepEqual(printed.model.input, [2]);
    assert.deepEqual(printed.classes, ['setosa', 'versicolor', 'virginica']);
    assert.equal(printed.data.cid, undefined);
    assert.match(printed.data.seed, /^0x[0-9a-f]{64}$/, 'a fresh seed when none is given');
    const spec = parseJobSpec(completeSpec(specOf(printed, 'bafkreighp2vmfasutl5a3smabt7jdtbhtvt56sm4plxp7e5jwgwj4niaxq')));
    assert.equal(datasetRoot(new Uint8Array(await readFile(path.join(dir, 'iris.bin'))), recordBytes(spec)), printed.data.root);
  });

  it('builds NPY records', async () => {
    const header = "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }";
    const npy = (dict: string, data: number[]): Buffer => {
      const padded = `${dict.padEnd(53, ' ')}\n`;
      return Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, padded.length, 0, ...Buffer.from(padded, 'latin1'), ...data]);
    };
    await writeFile(path.join(dir, 'x.npy'), npy(header, [1, 2, 3, 4, 5, 6]));
    await writeFile(path.join(dir, 'y.npy'), npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", [1, 0]));
    const r = await submit('dataset', '--npy', 'x.npy', '--labels', 'y.npy', '--out', 'xy.bin', '--quiet');
    assert.equal(r.code, 0, r.stderr);
    const printed = JSON.parse(r.stdout) as Printed;
    assert.deepEqual(printed.model.input, [3]);
    assert.equal(printed.data.featureEncoding, 'u8-unit');
    assert.deepEqual([...(await readFile(path.join(dir, 'xy.bin')))], [1, 2, 3, 1, 4, 5, 6, 0]);
  });

  it('refuses bad input with a message naming the problem', async () => {
    await writeFile(path.join(dir, 'bad.csv'), 'a,b,y\n1,2,0\n1,2,300\n');
    const bad = await submit('dataset', '--csv', 'bad.csv', '--label', 'y');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error: bad\.csv line 3, column 'y' \(index 2\): label 300 is outside 0\.\.255 .*\[DATASET_INVALID\]/m);
    const badJson = await submit('dataset', '--csv', 'bad.csv', '--label', 'nope', '--json');
    assert.equal(badJson.code, 1);
    assert.match((JSON.parse(badJson.stderr) as { error: { message: string } }).error.message, /bad\.csv has no column 'nope'; its columns are 'a', 'b', 'y'/);
    const none = await submit('dataset');
    assert.equal(none.code, 2);
    assert.match(none.stderr, /give one source: --csv <file>, --npy <X\.npy> --labels <Y\.npy>, or --images <dir>/);
    const two = await submit('dataset', '--csv', 'iris.csv', '--images', 'pets');
    assert.equal(two.code, 2);
    const noLabel = await submit('dataset', '--csv', 'iris.csv');
    assert.equal(noLabel.code, 2);
    assert.match(noLabel.stderr, /--csv needs --label <column>/);
    const noLabels = await submit('dataset', '--npy', 'x.npy');
    assert.match(noLabels.stderr, /--npy needs --labels <Y\.npy>/);
    const mixed = await submit('dataset', '--images', 'pets', '--label', 'y');
    assert.match(mixed.stderr, /--label goes with --csv, not --images/);
    const encoding = await submit('dataset', '--images', 'pets', '--encoding', 'u16');
    assert.equal(encoding.code, 2);
    assert.match(encoding.stderr, /--encoding must be u8-unit or f32, got 'u16'/);
    const seed = await submit('dataset', '--images', 'pets', '--seed', '0x12');
    assert.match(seed.stderr, /--seed must be 32 bytes/);
    const missing = await submit('dataset', '--images', 'nowhere');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read the image folder nowhere: ENOENT/);
    const missingCsv = await submit('dataset', '--csv', 'nowhere.csv', '--label', '0');
    assert.equal(missingCsv.code, 2);
    assert.match(missingCsv.stderr, /cannot read the dataset nowhere\.csv: ENOENT/);
    const help = await submit('dataset', '--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /usage: veritrain-submit dataset \[options\][\s\S]*--images <dir>[\s\S]*--drop-alpha/);
    assert.doesNotMatch(help.stdout, /--rpc|--payment/, 'the dataset command touches no chain');
  });
});
