/**
 * Transcendental and division kernels for the tfjs WebGPU backend whose error is bounded from
 * what WGSL guarantees, not from what one driver happens to do (docs/PROTOCOL.md §4.4).
 *
 * WGSL promises exp only within 3 + 2·|x| ulps (tfjs-webgpu's exp was measured at 63 ulps, 8x
 * the EXP budget), tanh only "inherited from sinh/cosh" and division within 2.5 ulps (DIV_ROW's
 * budget is γ_2 ≈ 1 ulp). These kernels use nothing but fp32 `+ − ×` (round to nearest, which
 * the backend checks at start, see ./webgpu.ts), `floor`, integer arithmetic and bit casts, so
 * their error follows from the algorithm alone, with or without fused multiply-adds:
 *
 * - exp: n = ⌊a·log₂e + ½⌋, r = (a − n·LN2_HI) − n·LN2_LO (the first difference is exact: n·LN2_HI
 *   has ≤ 24 significant bits and Sterbenz applies), p = the degree-8 Taylor polynomial of e^r
 *   in Horner form, result p·2^⌊n/2⌋·2^(n−⌊n/2⌋) (exact scalings). Relative error ≤ 2.35u
 *   (u = 2^-24) against the budget 8u, plus 2^-150 when the result is subnormal (budget σ).
 * - division: the correctly rounded quotient by integer long division of the significands
 *   (round to nearest even, subnormal quotients included).
 * - tanh: |a| < 0.625: a + a·(z·P(z)), z = a², P a degree-5 fit (≤ 0.17 of the budget);
 *   0.625 ≤ |a| < 10: 1 − 2/(e^{2|a|} + 1) with the exp and division above (≤ 0.42);
 *   |a| ≥ 10: ±1 (1 − tanh 10 < u/14).
 * - sigmoid: 1/(1 + e^{−a}) with the exp and division above (≤ 0.14 of its budget).
 *
 * The worst cases are computed in `docs/PROTOCOL.md` §4.4; the tests measure them on the device.
 */
import type * as tfjs from '@tensorflow/tfjs';

/** WGSL helpers shared by the kernels. Constants are written as exact fp32 bit patterns. */
export const WGSL_MATH = /* wgsl */ `
fn vt_f(bits : u32) -> f32 { return bitcast<f32>(bits); }

// 2^n for n in [-126, 127], exactly.
fn vt_pow2(n : i32) -> f32 { return bitcast<f32>(u32(n + 127) << 23u); }

fn vt_exp(a : f32) -> f32 {
  let bits = bitcast<u32>(a);
  if ((bits & 0x7fffffffu) > 0x7f800000u) { return a; }
  if (a > 89.0) { return vt_f(0x7f800000u); }
  if (a < -104.0) { return 0.0; }
  let n = floor(a * vt_f(0x3fb8aa3bu) + 0.5);
  let hi = n * vt_f(0x3f317200u);
  let rhi = a - hi;
  let lo = n * vt_f(0x35bfbe8eu);
  let r = rhi - lo;
  var p = vt_f(0x37d00d01u);
  p = p * r + vt_f(0x39500d01u);
  p = p * r + vt_f(0x3ab60b61u);
  p = p * r + vt_f(0x3c088889u);
  p = p * r + vt_f(0x3d2aaaabu);
  p = p * r + vt_f(0x3e2aaaabu);
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  let ni = i32(n);
  let n1 = ni / 2;
  let s = p * vt_pow2(n1);
  return s * vt_pow2(ni - n1);
}

// The correctly rounded fp32 quotient a / b (round to nearest even), by integer long division.
fn vt_div(a : f32, b : f32) -> f32 {
  let ua = bitcast<u32>(a);
  let ub = bitcast<u32>(b);
  let sign = (ua ^ ub) & 0x80000000u;
  let aa = ua & 0x7fffffffu;
  let ab = ub & 0x7fffffffu;
  if (aa > 0x7f800000u || ab > 0x7f800000u) { return vt_f(0x7fc00000u); }
  if (aa == 0x7f800000u) {
    if (ab == 0x7f800000u) { return vt_f(0x7fc00000u); }
    return vt_f(sign | 0x7f800000u);
  }
  if (ab == 0x7f800000u) { return vt_f(sign); }
  if (ab == 0u) {
    if (aa == 0u) { return vt_f(0x7fc00000u); }
    return vt_f(sign | 0x7f800000u);
  }
  if (aa == 0u) { return vt_f(sign); }
  var ea = i32(aa >> 23u);
  var ma = aa & 0x7fffffu;
  if (ea == 0) {
    let shift = i32(countLeadingZeros(ma)) - 8;
    ma = ma << u32(shift);
    ea = 1 - shift;
  } else {
    ma = ma | 0x800000u;
  }
  var eb = i32(ab >> 23u);
  var mb = ab & 0x7fffffu;
  if (eb == 0) {
    let shift = i32(countLeadingZeros(mb)) - 8;
    mb = mb << u32(shift);
    eb = 1 - shift;
  } else {
    mb = mb | 0x800000u;
  }
  var e = ea - eb + 127;
  if (ma < mb) {
    ma = ma << 1u;
    e = e - 1;
  }
  // ma / mb is in [1, 2): 25 quotient bits (24 for the significand, one guard bit), then the rest.
  var q = 0u;
  var r = ma;
  for (var i = 0; i < 25; i = i + 1) {
    q = q << 1u;
    if (r >= mb) {
      r = r - mb;
      q = q | 1u;
    }
    r = r << 1u;
  }
  if (e <= 0) {
    // A subnormal quotient: shift the 25 bits right by 1 − e, then round to nearest even (a
    // significand that rounds up to 2^23 is the smallest normal, which the bit pattern gives).
    let shift = u32(1 - e);
    if (shift > 25u) { return vt_f(sign); }
    let t = q >> shift;
    let sticky = r != 0u || (q & ((1u << shift) - 1u)) != 0u;
    var ms = t >> 1u;
    if ((t & 1u) == 1u && (sticky || (ms & 1u) == 1u)) { ms = ms + 1u; }
    return vt_f(sign | ms);
  }
  var m = q >> 1u;
  if ((q & 1u) == 1u && (r != 0u || (m & 1u) == 1u)) { m = m + 1u; }
  if (m == 0x1000000u) {
    m = m >> 1u;
    e = e + 1;
  }
  if (e >= 255) { return vt_f(sign | 0x7f800000u); }
  return vt_f(sign | (u32(e) << 23u) | (m & 0x7fffffu));
}

fn vt_tanh(a : f32) -> f32 {
  let bits = bitcast<u32>(a);
  if ((bits & 0x7fffffffu) > 0x7f800000u) { return a; }
  let sign = bits & 0x80000000u;
  let x = vt_f(bits & 0x7fffffffu);
  var t = 1.0;
  if (x < 0.625) {
    let z = x * x;
    var p = vt_f(0x3b0c217cu);
    p = p * z + vt_f(0xbc05e2f7u);
    p = p * z + vt_f(0x3cb1c072u);
    p = p * z + vt_f(0xbd5cf6bfu);
    p = p * z + vt_f(0x3e088830u);
    p = p * z + vt_f(0xbeaaaaaau);
    let s = z * p;
    let xs = x * s;
    t = x + xs;
  } else if (x < 10.0) {
    let e = vt_exp(x + x);
    let w = vt_div(2.0, e + 1.0);
    t = 1.0 - w;
  }
  return vt_f(bitcast<u32>(t) | sign);
}

fn vt_sigmoid(a : f32) -> f32 {
  let bits = bitcast<u32>(a);
  if ((bits & 0x7fffffffu) > 0x7f800000u) { return a; }
  let e = vt_exp(-a);
  return vt_div(1.0, 1.0 + e);
}
`;

/** The unary functions with their WGSL names. */
const UNARY = { Exp: 'vt_exp', Tanh: 'vt_tanh', Sigmoid: 'vt_sigmoid' } as const;

/** The subset of tfjs-webgpu's WebGPUProgram these kernels fill in. */
interface Program {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  workgroupSize: [number, number, number];
  size: boolean;
  getUserCode(): string;
}

interface WebGpuBackendLike {
  runWebGPUProgram(program: Program, inputs: tfjs.TensorInfo[], dtype: 'float32'): tfjs.TensorInfo;
}

interface WebGpuUtil {
  flatDispatchLayout(shape: number[]): { x: number[] };
  computeDispatch(layout: { x: number[] }, shape: number[], workgroup: [number, number, number]): [number, number, number];
}

function program(util: WebGpuUtil, outputShape: number[], key: string, variableNames: string[], body: string): Program {
  const workgroupSize: [number, number, number] = [64, 1, 1];
  const dispatchLayout = util.flatDispatchLayout(outputShape);
  return {
    outputShape,
    shaderKey: `veritrain_${key}`,
    dispatchLayout,
    dispatch: util.computeDispatch(dispatchLayout, outputShape, workgroupSize),
    variableNames,
    workgroupSize,
    size: true,
    getUserCode: () => `${WGSL_MATH}
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${body}
        }
      }`,
  };
}

/**
 * Registers the kernels for the 'webgpu' backend, replacing tfjs-webgpu's Exp, Tanh, Sigmoid and
 * RealDiv. `util` is the package's `webgpu_util`.
 */
export function registerBoundedKernels(tf: typeof tfjs, util: WebGpuUtil): void {
  for (const [kernelName, fn] of Object.entries(UNARY)) {
    tf.unregisterKernel(kernelName, 'webgpu');
    tf.registerKernel({
      kernelName,
      backendName: 'webgpu',
      kernelFunc: ({ inputs, backend }) => {
        const x = (inputs as { x: tfjs.TensorInfo }).x;
        const shape = [...x.shape];
        const body = `setOutputAtIndex(index, ${fn}(getAByOutputIndex(index)));`;
        return (backend as unknown as WebGpuBackendLike).runWebGPUProgram(program(util, shape, kernelName, ['A'], body), [x], 'float32');
      },
    });
  }
  tf.unregisterKernel('RealDiv', 'webgpu');
  tf.registerKernel({
    kernelName: 'RealDiv',
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend }) => {
      const { a, b } = inputs as { a: tfjs.TensorInfo; b: tfjs.TensorInfo };
      const shape = tf.backend_util.assertAndGetBroadcastShape([...a.shape], [...b.shape]);
      const body = 'setOutputAtIndex(index, vt_div(getAByOutputIndex(index), getBByOutputIndex(index)));';
      return (backend as unknown as WebGpuBackendLike).runWebGPUProgram(program(util, shape, 'RealDiv', ['A', 'B'], body), [a, b], 'float32');
    },
  });
}
