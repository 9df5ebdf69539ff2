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
import { SCHEDULES } from './schedule.ts';
import { inferShapes, inputWidth, layerSchema, modelPlan, outputWidth, reductionLengths, type Layer } from './model.ts';

/** The spec versions this SDK reads: 1 (MLP) and 2 (models as layer graphs, §3.4). */
export const SPEC_VERSION = 1;
export const SPEC_VERSION_2 = 2;

export const ACTIVATIONS = ['relu', 'tanh', 'sigmoid'] as const;
export const LOSSES = ['softmax-xent', 'mse'] as const;
export const OPTIMIZERS = ['sgd-momentum'] as const;
/** The optimizers of version 2 (codes are 1-based positions). */
export const OPTIMIZERS_V2 = ['sgd-momentum', 'adamw'] as const;
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
 * bias gradient). Up to 1024 terms an element is opened directly (about 0.9k gas per term); a
 * longer one is judged by claims over chunks of 256 terms (docs/PROTOCOL.md §4.5, §5 step 4b) for a
 * bounded cost: 2^20 terms measured at about 1M gas for the whole adjudication
 * (`npm run bench:opcheck`, long_k1048576_total). LibChunk.MAX_TERMS is the same bound.
 */
export const MAX_FAN_IN = 2 ** 20;

/** The most values one record's input may hold (a v2 input shape). */
export const MAX_RECORD_VALUES = 1 << 20;

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

const optimizerSchema = z.strictObject({
  kind: z.enum(OPTIMIZERS),
  learningRate: fp32.refine((x) => Math.fround(x) > 0 && Math.fround(x) < Infinity, 'must be positive and fit fp32'),
  momentum: fp32.refine((x) => x >= 0 && Math.fround(x) < 1, 'must be in [0, 1)'),
});
const unitInterval = fp32.refine((x) => x >= 0 && Math.fround(x) < 1, 'must be in [0, 1)');
const positiveFp32 = fp32.refine((x) => Math.fround(x) > 0 && Math.fround(x) < Infinity, 'must be positive and fit fp32');
/** The smallest AdamW epsilon: keeps a flushed second moment's effect on the update below one ulp (§4.4). */
export const MIN_ADAM_EPSILON = 2 ** -30;
const adamwSchema = z.strictObject({
  kind: z.literal('adamw'),
  learningRate: positiveFp32,
  beta1: unitInterval,
  beta2: unitInterval,
  epsilon: fp32.refine((x) => Math.fround(x) >= MIN_ADAM_EPSILON && Math.fround(x) < Infinity, `must be at least 2^-30 (${MIN_ADAM_EPSILON})`),
  weightDecay: fp32.refine((x) => x >= 0 && Math.fround(x) < Infinity, 'must be non-negative and fit fp32'),
  schedule: z
    .strictObject({
      kind: z.enum(SCHEDULES),
      warmupSteps: z.number().int('must be an integer').min(0, 'must be at least 0').default(0),
      finalLearningRate: fp32.refine((x) => x >= 0 && Math.fround(x) < Infinity, 'must be non-negative and fit fp32').default(0),
    })
    .default({ kind: 'constant', warmupSteps: 0, finalLearningRate: 0 }),
  /** MerkleRoot of the per-step table (§3.5); completeSpec fills it in (zero until then, which assertSpecRoots rejects). */
  scheduleRoot: bytes32.default(`0x${'00'.repeat(32)}`),
});
const optimizerV2Schema = z.discriminatedUnion('kind', [optimizerSchema.extend({ kind: z.literal('sgd-momentum') }), adamwSchema]);

const trainingSchema = z.strictObject({
  steps: uint(Number.MAX_SAFE_INTEGER),
  checkpointInterval: uint(0xffff_ffff),
  batchSize: uint(MAX_FAN_IN),
});
const dataSchema = z.strictObject({
  root: bytes32,
  cid,
  recordCount: uint(2 ** 40),
  featureEncoding: z.enum(FEATURE_ENCODINGS),
  labelEncoding: z.enum(LABEL_ENCODINGS),
  seed: bytes32,
});
type RefineContext = z.core.$RefinementCtx;

/** Checks both versions share: checkpoint count, loss vs labels and output width. */
function refineCommon(
  s: { training: { steps: number; checkpointInterval: number }; data: { labelEncoding: string }; model: { loss: string } },
  out: number,
  ctx: RefineContext,
  outPath: string[],
): void {
  if (s.training.steps % s.training.checkpointInterval !== 0) {
    ctx.addIssue({ code: 'custom', path: ['training', 'steps'], message: `must be a multiple of checkpointInterval (${s.training.checkpointInterval})` });
  } else if (s.training.steps / s.training.checkpointInterval > MAX_CHECKPOINTS) {
    ctx.addIssue({
      code: 'custom',
      path: ['training', 'checkpointInterval'],
      message: `gives ${s.training.steps / s.training.checkpointInterval} checkpoint intervals; the market takes at most ${MAX_CHECKPOINTS}: make it larger`,
    });
  }
  if (s.model.loss === 'softmax-xent') {
    if (s.data.labelEncoding !== 'class-u8') ctx.addIssue({ code: 'custom', path: ['data', 'labelEncoding'], message: 'softmax-xent needs class-u8 labels' });
    if (out < 2 || out > 256) ctx.addIssue({ code: 'custom', path: outPath, message: `softmax-xent needs 2..256 classes in the last layer, got ${out}` });
  } else if (s.data.labelEncoding !== 'f32') {
    ctx.addIssue({ code: 'custom', path: ['data', 'labelEncoding'], message: 'mse needs f32 targets' });
  }
}

const jobSpecV2Schema = z
  .strictObject({
    version: z.literal(SPEC_VERSION_2),
    model: z.strictObject({
      input: z
        .array(uint(1 << 16))
        .refine((s) => s.length === 1 || s.length === 3, 'must be [n] or [H, W, C]')
        .refine((s) => s.reduce((a, b) => a * b, 1) <= MAX_RECORD_VALUES, `must hold at most ${MAX_RECORD_VALUES} values`),
      layers: z.array(layerSchema).min(1, 'needs at least one layer').max(64, 'at most 64 layers'),
      loss: z.enum(LOSSES),
      initSeed: bytes32,
    }),
    optimizer: optimizerV2Schema,
    training: trainingSchema,
    data: dataSchema,
    dtype: z.literal('fp32', { error: 'must be "fp32"' }),
    graphRoot: bytes32,
  })
  .superRefine((s, ctx) => {
    const { shapes, issues } = inferShapes(s.model);
    for (const issue of issues) ctx.addIssue({ code: 'custom', path: issue.path.split('.'), message: issue.message });
    if (issues.length > 0) return;
    const last = shapes.at(-1) ?? s.model.input;
    const lastPath = ['model', 'layers', String(s.model.layers.length - 1)];
    if (last.length !== 1) ctx.addIssue({ code: 'custom', path: lastPath, message: 'the model must end flat (a dense layer)' });
    if (s.model.layers.at(-1)?.type !== 'dense')
      ctx.addIssue({ code: 'custom', path: lastPath, message: 'the last layer must be dense (the logits or targets)' });
    for (const r of reductionLengths(s.model, s.training.batchSize)) {
      if (r.length > MAX_FAN_IN)
        ctx.addIssue({
          code: 'custom',
          path: ['model', 'layers', String(r.layer)],
          message: `${r.what} sums ${r.length} terms; at most ${MAX_FAN_IN} (the longest reduction the dispute game judges): use a smaller batch or layer`,
        });
    }
    refineCommon(s, outputWidth(s.model), ctx, lastPath);
    if (s.optimizer.kind === 'adamw' && s.optimizer.schedule.warmupSteps >= s.training.steps)
      ctx.addIssue({ code: 'custom', path: ['optimizer', 'schedule', 'warmupSteps'], message: `must be below training.steps (${s.training.steps})` });
  });

const jobSpecV1Schema = z
  .object({
    version: z.literal(SPEC_VERSION, { error: `must be ${SPEC_VERSION} or ${SPEC_VERSION_2}` }),
    model: z.strictObject({
      layers: z.array(uint(MAX_FAN_IN)).min(2, 'needs an input and an output size').max(16, 'at most 16 sizes'),
      activation: z.enum(ACTIVATIONS),
      loss: z.enum(LOSSES),
      initSeed: bytes32,
    }),
    optimizer: optimizerSchema,
    training: trainingSchema,
    data: dataSchema,
    dtype: z.literal('fp32', { error: 'must be "fp32" (the only dtype of version 1)' }),
    graphRoot: bytes32,
  })
  .strict()
  .superRefine((s, ctx) => {
    refineCommon(s, s.model.layers.at(-1) ?? 0, ctx, ['model', 'layers']);
  });

/** A validated version-1 spec (an MLP). Numbers are as the user wrote them; fp32 fields are rounded on encoding. */
export type JobSpecV1 = z.output<typeof jobSpecV1Schema>;
/** A validated version-2 spec (a layer graph, §3.4). */
export type JobSpecV2 = z.output<typeof jobSpecV2Schema>;
/** A validated job spec of either version. */
export type JobSpec = JobSpecV1 | JobSpecV2;
/** What a version-1 spec file holds before validation. */
export type JobSpecInput = z.input<typeof jobSpecV1Schema>;
/** What a version-2 spec file holds before validation. */
export type JobSpecV2Input = z.input<typeof jobSpecV2Schema>;

/** Validate an untrusted value (e.g. a parsed spec file) into a JobSpec; throws SpecError listing every bad field. */
export function parseJobSpec(value: unknown): JobSpec {
  const v2 = typeof value === 'object' && value !== null && (value as { version?: unknown }).version === SPEC_VERSION_2;
  const result = (v2 ? jobSpecV2Schema : jobSpecV1Schema).safeParse(value);
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
  const plan = modelPlan(spec.model);
  const features = inputWidth(plan);
  const outputs = outputWidth(plan);
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

/**
 * The version-2 tuple: v1's with the model as an input shape and layer words instead of sizes
 * and one activation. Layer words (§3.4): dense [1, units]; conv2d [2, filters, kh, kw, stride,
 * padding (0 valid, 1 same)]; maxpool2d [3, size]; avgpool2d [4, size]; flatten [5]; relu [6];
 * tanh [7]; sigmoid [8]. The optimizer is a code (OPTIMIZERS_V2) and words: sgd-momentum
 * [lr, momentum]; adamw [lr, β1, β2, ε, λ, schedule (SCHEDULES code), warmupSteps, final lr]
 * (fp32 bits, counts as integers), with the schedule table's root beside them (zero for SGD).
 */
export const JOB_SPEC_V2_ABI = [
  {
    type: 'tuple',
    components: [
      { name: 'version', type: 'uint16' },
      { name: 'inputShape', type: 'uint32[]' },
      { name: 'layers', type: 'uint32[]' },
      { name: 'loss', type: 'uint8' },
      { name: 'initSeed', type: 'bytes32' },
      { name: 'optimizer', type: 'uint8' },
      { name: 'optimizerWords', type: 'uint32[]' },
      { name: 'scheduleRoot', type: 'bytes32' },
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

const LAYER_CODES = { dense: 1, conv2d: 2, maxpool2d: 3, avgpool2d: 4, flatten: 5, relu: 6, tanh: 7, sigmoid: 8 } as const;
const LAYER_WORDS: Readonly<Record<number, number>> = { 1: 2, 2: 6, 3: 2, 4: 2, 5: 1, 6: 1, 7: 1, 8: 1 };

/** A layer list as the words the v2 tuple holds. */
export function layerWords(layers: readonly Layer[]): number[] {
  return layers.flatMap((l): number[] => {
    switch (l.type) {
      case 'dense':
        return [LAYER_CODES.dense, l.units];
      case 'conv2d':
        return [LAYER_CODES.conv2d, l.filters, l.kernel[0], l.kernel[1], l.stride, l.padding === 'same' ? 1 : 0];
      case 'maxpool2d':
      case 'avgpool2d':
        return [LAYER_CODES[l.type], l.size];
      default:
        return [LAYER_CODES[l.type]];
    }
  });
}

/** The layer list (as spec JSON) of layer words; throws EncodingError on unknown or truncated words. */
export function layersOfWords(words: readonly number[]): unknown[] {
  const names = Object.fromEntries(Object.entries(LAYER_CODES).map(([n, c]) => [c, n])) as Record<number, Layer['type']>;
  const out: unknown[] = [];
  for (let i = 0; i < words.length; ) {
    const c = words[i] as number;
    const type = names[c];
    const n = LAYER_WORDS[c];
    if (type === undefined || n === undefined) throw new EncodingError(`layer word ${i} has unknown layer code ${c}`);
    if (i + n > words.length) throw new EncodingError(`layer ${out.length} (${type}) is truncated`);
    const w = words.slice(i + 1, i + n);
    if (type === 'dense') out.push({ type, units: w[0] });
    else if (type === 'conv2d')
      out.push({ type, filters: w[0], kernel: [w[1], w[2]], stride: w[3], padding: w[4] === 1 ? 'same' : w[4] === 0 ? 'valid' : `padding code ${w[4]}` });
    else if (type === 'maxpool2d' || type === 'avgpool2d') out.push({ type, size: w[0] });
    else out.push({ type });
    i += n;
  }
  return out;
}

/** The v2 optimizer as its code, words and schedule root. */
function optimizerFields(o: JobSpecV2['optimizer']) {
  if (o.kind === 'sgd-momentum') return { optimizer: 1, optimizerWords: [fp32Bits(o.learningRate), fp32Bits(o.momentum)], scheduleRoot: ZERO_ROOT };
  const s = o.schedule;
  return {
    optimizer: 2,
    optimizerWords: [
      fp32Bits(o.learningRate),
      fp32Bits(o.beta1),
      fp32Bits(o.beta2),
      fp32Bits(o.epsilon),
      fp32Bits(o.weightDecay),
      code(SCHEDULES, s.kind),
      s.warmupSteps,
      fp32Bits(s.finalLearningRate),
    ],
    scheduleRoot: o.scheduleRoot,
  };
}

function optimizerOfWords(c: number, w: readonly number[], scheduleRoot: Hex): unknown {
  const f = (i: number): number => fp32FromBits(w[i] ?? 0);
  const kind = fromCode(OPTIMIZERS_V2, c, 'optimizer');
  const count = kind === 'adamw' ? 8 : 2;
  if (w.length !== count) throw new EncodingError(`optimizer ${kind} has ${w.length} words, not ${count}`);
  if (kind === 'sgd-momentum') return { kind, learningRate: f(0), momentum: f(1) };
  const schedule = { kind: fromCode(SCHEDULES, w[5] ?? 0, 'schedule'), warmupSteps: w[6], finalLearningRate: f(7) };
  return { kind, learningRate: f(0), beta1: f(1), beta2: f(2), epsilon: f(3), weightDecay: f(4), schedule, scheduleRoot };
}

const ZERO_ROOT: Hex = `0x${'00'.repeat(32)}`;

/** The fields both tuples share, after the model and optimizer. */
function commonFields(spec: JobSpec) {
  return {
    loss: code(LOSSES, spec.model.loss),
    initSeed: spec.model.initSeed,
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
  };
}

/** The canonical bytes of a spec. */
export function encodeJobSpec(spec: JobSpec): Hex {
  if (spec.version === SPEC_VERSION_2) {
    return encodeAbiParameters(JOB_SPEC_V2_ABI, [
      {
        version: spec.version,
        inputShape: [...spec.model.input],
        layers: layerWords(spec.model.layers),
        ...optimizerFields(spec.optimizer),
        ...commonFields(spec),
      },
    ]);
  }
  return encodeAbiParameters(JOB_SPEC_ABI, [
    {
      version: spec.version,
      layers: spec.model.layers,
      activation: code(ACTIVATIONS, spec.model.activation),
      optimizer: code(OPTIMIZERS, spec.optimizer.kind),
      learningRate: fp32Bits(spec.optimizer.learningRate),
      momentum: fp32Bits(spec.optimizer.momentum),
      ...commonFields(spec),
    },
  ]);
}

/**
 * Decode canonical spec bytes (e.g. fetched from IPFS) and validate them. Non-canonical
 * encodings are rejected, so one spec has exactly one hash.
 */
export function decodeJobSpec(bytes: Hex): JobSpec {
  // The tuple has dynamic fields, so its head starts after one offset word: version is word 1.
  if (bytes.length >= 2 + 128 && Number.parseInt(bytes.slice(2 + 64, 2 + 128), 16) === SPEC_VERSION_2) return decodeV2(bytes);
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

function decodeV2(bytes: Hex): JobSpec {
  let t;
  try {
    [t] = decodeAbiParameters(JOB_SPEC_V2_ABI, bytes);
  } catch (err) {
    throw new EncodingError('spec bytes are not an ABI-encoded version-2 JobSpec tuple', { cause: err });
  }
  const spec = parseJobSpec({
    version: t.version,
    model: { input: [...t.inputShape], layers: layersOfWords(t.layers), loss: fromCode(LOSSES, t.loss, 'loss'), initSeed: t.initSeed },
    optimizer: optimizerOfWords(t.optimizer, t.optimizerWords, t.scheduleRoot),
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
