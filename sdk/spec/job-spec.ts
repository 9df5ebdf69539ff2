/**
 * The job spec: what a submitter asks for, validated, and its canonical encoding
 * (docs/PROTOCOL.md §2.6). specHash = SHA-256(abi.encode(JobSpecTuple)); the spec's CID is the
 * CIDv1 (raw codec, sha2-256) of the same bytes, so specHash and CID name one object.
 */
import { CID } from 'multiformats/cid';
import * as Digest from 'multiformats/hashes/digest';
import { bytesToHex, decodeAbiParameters, encodeAbiParameters, hexToBytes, type Hex } from 'viem';
import * as z from 'zod';
import { EncodingError, SpecError } from '../errors.ts';
import { sha256 } from '../commit/sha256.ts';

export const SPEC_VERSION = 1;

export const ACTIVATIONS = ['relu', 'tanh', 'sigmoid'] as const;
export const LOSSES = ['softmax-xent', 'mse'] as const;
export const OPTIMIZERS = ['sgd-momentum'] as const;
export const FEATURE_ENCODINGS = ['u8-unit', 'f32'] as const;
export const LABEL_ENCODINGS = ['class-u8', 'f32'] as const;

export type Activation = (typeof ACTIVATIONS)[number];
export type Loss = (typeof LOSSES)[number];

/**
 * The most checkpoint intervals (steps / checkpointInterval) a job may have: the market's
 * LibCheckpoints.MAX_CHECKPOINTS, which bounds the chain suffix a dispute carries.
 */
export const MAX_CHECKPOINTS = 1024;

/**
 * The longest reduction (fan-in) any op of a job may have: a layer size (the K of a forward or
 * backward matmul, the N of a row sum) and the batch size (the K of a weight gradient, the N of a
 * bias gradient). An element opening reads its whole row in calldata, about 0.9k gas per term:
 * 4096 terms measured at 3.33M gas (`npm run bench:opcheck`, matmul_k4096), a 5x margin under the
 * 16.78M per-transaction cap of EIP-7825. A longer reduction could not be opened, so an honest
 * solver could not defend it: such specs are rejected until reductions are judged in chunks.
 */
export const MAX_FAN_IN = 4096;

const bytes32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, 'must be 32 bytes as 0x-prefixed hex')
  .transform((s) => s.toLowerCase() as Hex);
const uint = (max: number) => z.number().int('must be an integer').min(1, 'must be at least 1').max(max, `must be at most ${max}`);
const cid = z.string().refine((s) => {
  try {
    CID.parse(s);
    return true;
  } catch {
    return false;
  }
}, 'must be a valid CID');
const fp32 = z.number().refine(Number.isFinite, 'must be a finite number');

const jobSpecSchema = z
  .object({
    version: z.literal(SPEC_VERSION, { error: `must be ${SPEC_VERSION}` }),
    model: z.strictObject({
      layers: z.array(uint(MAX_FAN_IN)).min(2, 'needs an input and an output size').max(16, 'at most 16 sizes'),
      activation: z.enum(ACTIVATIONS),
      loss: z.enum(LOSSES),
      initSeed: bytes32,
    }),
    optimizer: z.strictObject({
      kind: z.enum(OPTIMIZERS),
      learningRate: fp32.refine((x) => Math.fround(x) > 0 && Math.fround(x) < Infinity, 'must be positive and fit fp32'),
      momentum: fp32.refine((x) => x >= 0 && Math.fround(x) < 1, 'must be in [0, 1)'),
    }),
    training: z.strictObject({
      steps: uint(Number.MAX_SAFE_INTEGER),
      checkpointInterval: uint(0xffff_ffff),
      batchSize: uint(MAX_FAN_IN),
    }),
    data: z.strictObject({
      root: bytes32,
      cid,
      recordCount: uint(2 ** 40),
      featureEncoding: z.enum(FEATURE_ENCODINGS),
      labelEncoding: z.enum(LABEL_ENCODINGS),
      seed: bytes32,
    }),
    dtype: z.literal('fp32', { error: 'must be "fp32" (the only dtype of version 1)' }),
    graphRoot: bytes32,
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.training.steps % s.training.checkpointInterval !== 0) {
      ctx.addIssue({ code: 'custom', path: ['training', 'steps'], message: `must be a multiple of checkpointInterval (${s.training.checkpointInterval})` });
    } else if (s.training.steps / s.training.checkpointInterval > MAX_CHECKPOINTS) {
      ctx.addIssue({
        code: 'custom',
        path: ['training', 'checkpointInterval'],
        message: `gives ${s.training.steps / s.training.checkpointInterval} checkpoint intervals; the market takes at most ${MAX_CHECKPOINTS}: make it larger`,
      });
    }
    const out = s.model.layers.at(-1) ?? 0;
    if (s.model.loss === 'softmax-xent') {
      if (s.data.labelEncoding !== 'class-u8') ctx.addIssue({ code: 'custom', path: ['data', 'labelEncoding'], message: 'softmax-xent needs class-u8 labels' });
      if (out < 2 || out > 256)
        ctx.addIssue({ code: 'custom', path: ['model', 'layers'], message: `softmax-xent needs 2..256 classes in the last layer, got ${out}` });
    } else if (s.data.labelEncoding !== 'f32') {
      ctx.addIssue({ code: 'custom', path: ['data', 'labelEncoding'], message: 'mse needs f32 targets' });
    }
  });

/** A validated job spec. Numbers are as the user wrote them; fp32 fields are rounded on encoding. */
export type JobSpec = z.output<typeof jobSpecSchema>;
/** What a spec file holds before validation. */
export type JobSpecInput = z.input<typeof jobSpecSchema>;

/** Validate an untrusted value (e.g. a parsed spec file) into a JobSpec; throws SpecError listing every bad field. */
export function parseJobSpec(value: unknown): JobSpec {
  const result = jobSpecSchema.safeParse(value);
  if (!result.success) {
    throw new SpecError(
      result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      { cause: result.error },
    );
  }
  return result.data;
}

/** Bytes of one dataset record under `spec`: features, then the label. */
export function recordBytes(spec: Pick<JobSpec, 'model' | 'data'>): number {
  const features = spec.model.layers[0] ?? 0;
  const outputs = spec.model.layers.at(-1) ?? 0;
  const featureWidth = spec.data.featureEncoding === 'u8-unit' ? 1 : 4;
  const labelWidth = spec.data.labelEncoding === 'class-u8' ? 1 : 4 * outputs;
  return features * featureWidth + labelWidth;
}

/** Checkpoint count N/k + 1 (index 0 is the initial state, index N/k the final one). */
export function checkpointCount(spec: Pick<JobSpec, 'training'>): number {
  return spec.training.steps / spec.training.checkpointInterval + 1;
}

/** The ABI tuple that is hashed; field order is normative. Codes are 1-based positions in the lists above. */
export const JOB_SPEC_ABI = [
  {
    type: 'tuple',
    components: [
      { name: 'version', type: 'uint16' },
      { name: 'layers', type: 'uint32[]' },
      { name: 'activation', type: 'uint8' },
      { name: 'loss', type: 'uint8' },
      { name: 'initSeed', type: 'bytes32' },
      { name: 'optimizer', type: 'uint8' },
      { name: 'learningRate', type: 'uint32' },
      { name: 'momentum', type: 'uint32' },
      { name: 'steps', type: 'uint64' },
      { name: 'checkpointInterval', type: 'uint32' },
      { name: 'batchSize', type: 'uint32' },
      { name: 'datasetRoot', type: 'bytes32' },
      { name: 'datasetCid', type: 'string' },
      { name: 'recordCount', type: 'uint64' },
      { name: 'featureEncoding', type: 'uint8' },
      { name: 'labelEncoding', type: 'uint8' },
      { name: 'dataSeed', type: 'bytes32' },
      { name: 'dtype', type: 'uint8' },
      { name: 'graphRoot', type: 'bytes32' },
    ],
  },
] as const;

/** IEEE-754 binary32 bits of fround(x). */
export function fp32Bits(x: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, x);
  return view.getUint32(0);
}

export function fp32FromBits(bits: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, bits);
  return view.getFloat32(0);
}

function code<T extends string>(list: readonly T[], value: T): number {
  return list.indexOf(value) + 1;
}

function fromCode<T extends string>(list: readonly T[], c: number, field: string): T {
  const v = list[c - 1];
  if (v === undefined) throw new EncodingError(`spec field ${field} has unknown code ${c}`);
  return v;
}

/** The canonical bytes of a spec. */
export function encodeJobSpec(spec: JobSpec): Hex {
  return encodeAbiParameters(JOB_SPEC_ABI, [
    {
      version: spec.version,
      layers: spec.model.layers,
      activation: code(ACTIVATIONS, spec.model.activation),
      loss: code(LOSSES, spec.model.loss),
      initSeed: spec.model.initSeed,
      optimizer: code(OPTIMIZERS, spec.optimizer.kind),
      learningRate: fp32Bits(spec.optimizer.learningRate),
      momentum: fp32Bits(spec.optimizer.momentum),
      steps: BigInt(spec.training.steps),
      checkpointInterval: spec.training.checkpointInterval,
      batchSize: spec.training.batchSize,
      datasetRoot: spec.data.root,
      datasetCid: spec.data.cid,
      recordCount: BigInt(spec.data.recordCount),
      featureEncoding: code(FEATURE_ENCODINGS, spec.data.featureEncoding),
      labelEncoding: code(LABEL_ENCODINGS, spec.data.labelEncoding),
      dataSeed: spec.data.seed,
      dtype: 1,
      graphRoot: spec.graphRoot,
    },
  ]);
}

/**
 * Decode canonical spec bytes (e.g. fetched from IPFS) and validate them. Non-canonical
 * encodings are rejected, so one spec has exactly one hash.
 */
export function decodeJobSpec(bytes: Hex): JobSpec {
  let t;
  try {
    [t] = decodeAbiParameters(JOB_SPEC_ABI, bytes);
  } catch (err) {
    throw new EncodingError('spec bytes are not an ABI-encoded JobSpec tuple', { cause: err });
  }
  const spec = parseJobSpec({
    version: t.version,
    model: {
      layers: [...t.layers],
      activation: fromCode(ACTIVATIONS, t.activation, 'activation'),
      loss: fromCode(LOSSES, t.loss, 'loss'),
      initSeed: t.initSeed,
    },
    optimizer: { kind: fromCode(OPTIMIZERS, t.optimizer, 'optimizer'), learningRate: fp32FromBits(t.learningRate), momentum: fp32FromBits(t.momentum) },
    training: { steps: Number(t.steps), checkpointInterval: t.checkpointInterval, batchSize: t.batchSize },
    data: {
      root: t.datasetRoot,
      cid: t.datasetCid,
      recordCount: Number(t.recordCount),
      featureEncoding: fromCode(FEATURE_ENCODINGS, t.featureEncoding, 'featureEncoding'),
      labelEncoding: fromCode(LABEL_ENCODINGS, t.labelEncoding, 'labelEncoding'),
      seed: t.dataSeed,
    },
    dtype: t.dtype === 1 ? 'fp32' : `dtype code ${t.dtype}`,
    graphRoot: t.graphRoot,
  });
  if (encodeJobSpec(spec) !== bytes.toLowerCase()) throw new EncodingError('spec bytes are not in canonical form');
  return spec;
}

/** SHA-256 of the canonical encoding: the spec's on-chain identity. */
export function specHash(spec: JobSpec): Hex {
  return bytesToHex(sha256(hexToBytes(encodeJobSpec(spec))));
}

/** The CID of the canonical spec bytes on IPFS (CIDv1, raw codec, sha2-256 = specHash). */
export function specCid(spec: JobSpec): string {
  return cidOfSpecHash(specHash(spec));
}

const RAW_CODEC = 0x55;
const SHA2_256 = 0x12;

export function cidOfSpecHash(hash: Hex): string {
  return CID.createV1(RAW_CODEC, Digest.create(SHA2_256, hexToBytes(hash))).toString();
}
