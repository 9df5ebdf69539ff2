/**
 * An independent exact-rational reference for the elementwise claims of docs/PROTOCOL.md §4.3:
 * exact dyadic arithmetic, no scale, no slack, against sdk/tolerance/exact.ts on boundary cases with
 * huge, cancelling values. Prints per kind: cases, lenient (SDK valid, exact invalid), strict.
 * Run: `npm run fuzz:exact` (about a minute).
 */
import { checkElement } from '../../sdk/tolerance/exact.ts';
import { exactVerdict } from '../../sdk/tolerance/reference.ts';
import { OP_KIND_NAMES, OpKind, type OpKindCode } from '../../sdk/graph/graph.ts';
import { fp32Bits, fp32FromBits } from '../../sdk/spec/job-spec.ts';
const f = Math.fround;
let rnd = 7;
const r = () => {
  rnd = (rnd * 1103515245 + 12345) % 2 ** 31;
  return rnd / 2 ** 31;
};
const kinds = [OpKind.BIAS_ADD, OpKind.SUB_ROW, OpKind.TANH_GRAD, OpKind.SIGMOID_GRAD, OpKind.SCALED_DIFF, OpKind.SGD_VELOCITY, OpKind.SGD_WEIGHT];
const stats = new Map<string, [number, number, number]>();
for (let it = 0; it < 40000; it++) {
  const kind = kinds[it % kinds.length] ?? OpKind.BIAS_ADD;
  const ex = () => 2 ** (Math.floor(r() * 250) - 125);
  const a = f((r() - 0.5) * ex());
  let b = f((r() - 0.5) * ex());
  const c = f(r() * ex());
  // cancellation: choose b so the exact x is near 0
  if (kind === OpKind.BIAS_ADD) b = -a;
  if (kind === OpKind.SUB_ROW) b = a;
  if (kind === OpKind.TANH_GRAD || kind === OpKind.SIGMOID_GRAD) b = r() < 0.5 ? 1 : f(1 + 2 ** -23);
  if (kind === OpKind.SCALED_DIFF) b = r() < 0.5 ? a : f(a * (1 + 2 ** -23));
  if (kind === OpKind.SGD_VELOCITY) b = f(-c * a);
  if (kind === OpKind.SGD_WEIGHT) b = f(a / c);
  if (![a, b, c].every(Number.isFinite)) continue;
  const ys = [0, ...Array.from({ length: 6 }, () => f((r() - 0.5) * 2 ** (Math.floor(r() * 250) - 125)))];
  // boundary: values around the largest magnitudes scaled by 2^-22..2^-24
  const mag = Math.max(Math.abs(a), Math.abs(b), Math.abs(a * b * b), Math.abs(c * a), Math.abs(a * c));
  for (const k of [20, 21, 22, 23, 24, 25]) ys.push(f(mag * 2 ** -k), f(-mag * 2 ** -k));
  for (const y0 of ys)
    for (const d of [-1, 0, 1]) {
      const yb = (fp32Bits(y0) + d) >>> 0;
      if (!Number.isFinite(fp32FromBits(yb))) continue;
      const got = checkElement(kind, [fp32Bits(c)], Uint32Array.of(fp32Bits(a)), Uint32Array.of(fp32Bits(b)), yb);
      const want = exactVerdict(kind, a, b, c, fp32FromBits(yb));
      const name = OP_KIND_NAMES[kind as OpKindCode];
      const s = stats.get(name) ?? [0, 0, 0];
      stats.set(name, s);
      s[0]++;
      if (got && !want) {
        s[1]++;
        if (s[1] < 3) console.log('lenient', kind, { a, b, c, y: fp32FromBits(yb) });
      }
      if (!got && want) {
        s[2]++;
        if (s[2] < 3) console.log('strict', kind, { a, b, c, y: fp32FromBits(yb) });
      }
    }
}
for (const [name, [cases, lenient, strict]] of stats)
  console.log(`${name.padEnd(14)} cases ${String(cases).padStart(7)}  lenient ${String(lenient).padStart(5)}  strict ${String(strict).padStart(5)}`);
