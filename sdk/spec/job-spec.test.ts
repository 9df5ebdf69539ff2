import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hexToBytes, type Hex } from 'viem';
import { EncodingError, SpecError } from '../errors.ts';
import { sha256Hex } from '../commit/sha256.ts';
import { assertSpecRoots, completeSpec } from '../graph/complete.ts';
import { exampleSpec } from './example-spec.ts';
import { scheduleRow } from './schedule.ts';
import {
  checkpointCount,
  cidOfSpecHash,
  decodeJobSpec,
  encodeJobSpec,
  layersOfWords,
  layerWords,
  MAX_FAN_IN,
  parseJobSpec,
  recordBytes,
  specCid,
  specHash,
  type JobSpecInput,
  type JobSpecV2Input,
} from './job-spec.ts';

describe('job spec', () => {
  it('encodes canonically, decodes back, and hashes to its raw CID', () => {
    const spec = parseJobSpec(exampleSpec());
    const bytes = encodeJobSpec(spec);
    const back = decodeJobSpec(bytes);
    assert.equal(encodeJobSpec(back), bytes);
    assert.equal(specHash(spec), sha256Hex(hexToBytes(bytes)));
    assert.equal(specCid(spec), cidOfSpecHash(specHash(spec)));
    assert.match(specCid(spec), /^bafkrei/);
    assert.equal(back.optimizer.learningRate, Math.fround(0.05));
  });

  it('every field changes the hash', () => {
    const base = specHash(parseJobSpec(exampleSpec()));
    const variants: ((s: JobSpecInput) => void)[] = [
      (s) => {
        s.model.layers = [784, 64, 10];
      },
      (s) => {
        s.model.activation = 'tanh';
      },
      (s) => {
        s.optimizer.learningRate = 0.01;
      },
      (s) => {
        s.optimizer.momentum = 0.5;
      },
      (s) => {
        s.training.steps = 2000;
      },
      (s) => {
        s.training.batchSize = 32;
      },
      (s) => {
        s.data.seed = `0x${'55'.repeat(32)}`;
      },
      (s) => {
        s.graphRoot = `0x${'66'.repeat(32)}`;
      },
    ];
    for (const change of variants) {
      const s = exampleSpec();
      change(s);
      assert.notEqual(specHash(parseJobSpec(s)), base);
    }
  });

  it('derives record size and checkpoint count', () => {
    const spec = parseJobSpec(exampleSpec());
    assert.equal(recordBytes(spec), 785);
    assert.equal(checkpointCount(spec), 21);
  });

  it('rejects a fan-in no dispute could open: a layer or a batch over MAX_FAN_IN, as input and as fetched bytes', () => {
    const wide = exampleSpec();
    wide.model.layers = [784, MAX_FAN_IN + 1, 10];
    wide.training.batchSize = MAX_FAN_IN + 1;
    try {
      parseJobSpec(wide);
      assert.fail('expected a SpecError');
    } catch (err) {
      assert.ok(err instanceof SpecError);
      assert.deepEqual(err.issues.map((i) => i.path).sort(), ['model.layers.1', 'training.batchSize']);
    }
    const edge = exampleSpec();
    edge.training.batchSize = MAX_FAN_IN;
    const bytes = encodeJobSpec(parseJobSpec(edge));
    assert.equal(decodeJobSpec(bytes).training.batchSize, MAX_FAN_IN);
    // A submitter that bypasses the SDK posts the same bytes with batchSize MAX_FAN_IN + 1: they must not decode.
    const word = MAX_FAN_IN.toString(16).padStart(64, '0');
    const at = 2 + 64 * 11; // after the tuple offset, batchSize is the 11th head word (§2.6)
    assert.equal(bytes.slice(at, at + 64), word);
    assert.throws(() => decodeJobSpec(`${bytes.slice(0, at)}${(MAX_FAN_IN + 1).toString(16).padStart(64, '0')}${bytes.slice(at + 64)}` as Hex), SpecError);
  });

  it('names every bad field in one error', () => {
    const s = exampleSpec() as unknown as Record<string, Record<string, unknown>>;
    (s.training as Record<string, unknown>).steps = 1001;
    (s.optimizer as Record<string, unknown>).learningRate = -1;
    (s.data as Record<string, unknown>).cid = 'not-a-cid';
    (s.model as Record<string, unknown>).initSeed = '0x1234';
    try {
      parseJobSpec(s);
      assert.fail('expected a SpecError');
    } catch (err) {
      assert.ok(err instanceof SpecError);
      const paths = err.issues.map((i) => i.path).sort();
      assert.deepEqual(paths, ['data.cid', 'model.initSeed', 'optimizer.learningRate', 'training.steps']);
      assert.match(err.message, /model\.initSeed: must be 32 bytes/);
    }
  });

  it('checks fields against each other', () => {
    const s = exampleSpec();
    s.training.steps = 1001;
    assert.throws(() => parseJobSpec(s), /training\.steps: must be a multiple of checkpointInterval \(50\)/);
    const many = exampleSpec();
    many.training.steps = 1025 * 2;
    many.training.checkpointInterval = 2;
    assert.throws(() => parseJobSpec(many), /training\.checkpointInterval: gives 1025 checkpoint intervals; the market takes at most 1024/);
    const m = exampleSpec();
    m.model.loss = 'mse';
    assert.throws(() => parseJobSpec(m), /data\.labelEncoding: mse needs f32 targets/);
    assert.throws(() => parseJobSpec({ ...exampleSpec(), extra: 1 }), SpecError);
  });

  it('rejects bytes that are not a canonical spec', () => {
    assert.throws(() => decodeJobSpec('0x1234'), EncodingError);
    const bytes = encodeJobSpec(parseJobSpec(exampleSpec()));
    assert.throws(() => decodeJobSpec(`${bytes}00` as Hex), /canonical/);
  });
});

describe('job spec version 2 (layer graphs)', () => {
  const lenet = (): JobSpecV2Input => {
    const { graphRoot, ...base } = exampleSpec();
    return {
      ...base,
      graphRoot,
      version: 2,
      model: {
        input: [28, 28, 1],
        layers: [
          { type: 'conv2d', filters: 6, kernel: 5, padding: 'same' },
          { type: 'relu' },
          { type: 'maxpool2d', size: 2 },
          { type: 'conv2d', filters: 16, kernel: [5, 5] },
          { type: 'relu' },
          { type: 'avgpool2d', size: 2 },
          { type: 'flatten' },
          { type: 'dense', units: 84 },
          { type: 'tanh' },
          { type: 'dense', units: 10 },
        ],
        loss: 'softmax-xent',
        initSeed: base.model.initSeed,
      },
      training: { ...base.training, batchSize: 4 },
    };
  };

  it('encodes canonically with its layer words, decodes back to the same spec and record size', () => {
    const spec = parseJobSpec(lenet());
    const bytes = encodeJobSpec(spec);
    const back = decodeJobSpec(bytes);
    assert.deepEqual(back.model, spec.model);
    assert.deepEqual(back.data, spec.data);
    assert.equal(encodeJobSpec(back), bytes);
    assert.notEqual(specHash(spec), specHash(parseJobSpec(exampleSpec())));
    assert.equal(recordBytes(spec), 28 * 28 + 1);
    assert.ok(spec.version === 2);
    assert.deepEqual(layersOfWords(layerWords(spec.model.layers)), spec.model.layers);
  });

  it('names the layer that makes a model invalid', () => {
    const noFlatten = lenet();
    noFlatten.model.layers.splice(6, 1);
    assert.throws(() => parseJobSpec(noFlatten), /model\.layers\.6: a dense layer needs flat input, got \[5, 5, 16\]: add a flatten layer before it/);
    const tooBig = lenet();
    tooBig.model.layers[3] = { type: 'conv2d', filters: 16, kernel: 15 };
    assert.throws(() => parseJobSpec(tooBig), /model\.layers\.3: window 15x15 is larger than the input 14x14/);
    const notDense = lenet();
    notDense.model.layers.push({ type: 'relu' });
    assert.throws(() => parseJobSpec(notDense), /the last layer must be dense/);
    const badInput = lenet();
    badInput.model.input = [28, 28];
    assert.throws(() => parseJobSpec(badInput), /model\.input: must be \[n\] or \[H, W, C\]/);
  });

  it('caps every reduction at MAX_FAN_IN, the longest the claim game judges', () => {
    const ok = lenet();
    ok.training.batchSize = 64; // the first conv's weight gradient sums 64 x 28 x 28 = 50,176 terms
    assert.equal(parseJobSpec(ok).training.batchSize, 64);
    const wide = lenet();
    wide.training.batchSize = 2048; // 2048 x 784 = 1,605,632 > 2^20
    assert.throws(
      () => parseJobSpec(wide),
      new RegExp(`model\\.layers\\.0: the weight gradient \\(batch x output pixels\\) sums 1605632 terms; at most ${MAX_FAN_IN}`),
    );
  });

  it('rejects unknown layer words and truncated layers on decode', () => {
    assert.throws(() => layersOfWords([9]), /unknown layer code 9/);
    assert.throws(() => layersOfWords([2, 6, 5]), /layer 0 \(conv2d\) is truncated/);
  });
});

describe('a v2 AdamW spec read back from its bytes', () => {
  it('keeps its schedule root valid when the rates are not fp32 numbers (the table is computed from the encoded fp32 values)', () => {
    const { graphRoot: _unused, ...base } = exampleSpec();
    // 0.005 and 0.005 / 30 are not fp32 numbers; the encoding rounds them.
    const spec = completeSpec({
      ...base,
      version: 2,
      model: { input: [784], layers: [{ type: 'dense', units: 10 }], loss: 'softmax-xent', initSeed: base.model.initSeed },
      optimizer: {
        kind: 'adamw',
        learningRate: 0.005,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-8,
        weightDecay: 0.01,
        schedule: { kind: 'warmup-cosine', warmupSteps: 5, finalLearningRate: 0.005 / 30 },
      },
    });
    const back = decodeJobSpec(encodeJobSpec(spec));
    assert.ok(back.optimizer.kind === 'adamw' && spec.optimizer.kind === 'adamw');
    assert.notEqual(back.optimizer.learningRate, 0.005, 'decoded as the fp32 value');
    assert.equal(back.optimizer.scheduleRoot, spec.optimizer.scheduleRoot);
    assert.doesNotThrow(() => {
      assertSpecRoots(back);
    });
    assert.deepEqual(scheduleRow(back.optimizer, back.training.steps, 3), scheduleRow(spec.optimizer, spec.training.steps, 3));
  });
});
