/**
 * CSV to records: one record per row, a label column (or several f32 target columns) chosen by
 * name or 0-based index, every other column a feature, in file order. Cells are decimal numbers
 * (`-1.5`, `2e-3`); fields may be double-quoted (`"a,b"`, `""` for a quote) within one line.
 * Every error names the file, the line and the column.
 */
import { DatasetError } from '../errors.ts';
import { RecordWriter, sortedClasses, toClass, toF32, type FeatureEncoding, type LabelEncoding, type RecordSet } from './record-set.ts';

export interface CsvRecordsOptions {
  /** The label column(s), by header name or 0-based index. Several only with `labelEncoding: 'f32'` (one target each). */
  readonly label: string | number | readonly (string | number)[];
  /** Whether the first row names the columns; default: yes when any of its cells is not a number. */
  readonly header?: boolean | undefined;
  /** Field separator (default `,`). */
  readonly delimiter?: string | undefined;
  /** Default `f32`; `u8-unit` takes integer cells 0..255 (the byte, decoded as v / 255). */
  readonly featureEncoding?: FeatureEncoding | undefined;
  /** Default `class-u8` (integer labels 0..255); `f32` for regression targets. */
  readonly labelEncoding?: LabelEncoding | undefined;
  /** The label cells are class names (`setosa`, …), numbered in sorted order; the names come back as `classes`. */
  readonly labelNames?: boolean | undefined;
  /** Names the input in messages (default `CSV`). */
  readonly source?: string | undefined;
}

const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The fields of one line; quotes are stripped and `""` inside quotes is a quote. */
function splitLine(line: string, delimiter: string, where: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new DatasetError(`${where}: a quoted field is not closed (fields cannot span lines)`);
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += line[i] as string;
        i++;
      }
      const rest = line.indexOf(delimiter, i);
      const junk = (rest === -1 ? line.slice(i) : line.slice(i, rest)).trim();
      if (junk !== '') throw new DatasetError(`${where}: text after a closing quote: '${junk}'`);
      i = rest === -1 ? line.length : rest;
    } else {
      const next = line.indexOf(delimiter, i);
      field = next === -1 ? line.slice(i) : line.slice(i, next);
      i = next === -1 ? line.length : next;
    }
    fields.push(field.trim());
    if (i >= line.length) return fields;
    i += delimiter.length;
  }
}

/**
 * Records from CSV text. Throws DatasetError naming the line and column of the first bad cell:
 * ragged rows, empty or non-numeric cells, features outside 0..255 under u8-unit, labels outside
 * 0..255 or not integers under class-u8, values that overflow fp32, a missing label column.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { csvRecords } from 'veritrain';
 * const set = csvRecords(readFileSync('iris.csv', 'utf8'), { label: 'species', labelNames: true, source: 'iris.csv' });
 * // set.input = [4], set.classes = ['setosa', 'versicolor', 'virginica'], set.root = data.root
 * ```
 */
export function csvRecords(text: string, options: CsvRecordsOptions): RecordSet {
  const source = options.source ?? 'CSV';
  const delimiter = options.delimiter ?? ',';
  if (delimiter === '' || delimiter.includes('"') || /[\r\n]/.test(delimiter)) throw new DatasetError(`invalid CSV delimiter ${JSON.stringify(delimiter)}`);
  const featureEncoding = options.featureEncoding ?? 'f32';
  const labelEncoding = options.labelEncoding ?? 'class-u8';
  const names = options.labelNames === true;
  if (names && labelEncoding !== 'class-u8') throw new DatasetError('class names (labelNames) need class-u8 labels');

  // Rows with their 1-based line numbers; blank lines are skipped.
  const rows: { line: number; fields: string[] }[] = [];
  text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((raw, i) => {
      if (raw.trim() !== '') rows.push({ line: i + 1, fields: splitLine(raw, delimiter, `${source} line ${i + 1}`) });
    });
  const first = rows[0];
  if (first === undefined) throw new DatasetError(`${source} is empty`);
  const wanted = Array.isArray(options.label) ? (options.label as readonly (string | number)[]) : [options.label as string | number];
  if (wanted.length === 0) throw new DatasetError('no label column given');
  // A header has a non-number outside the label columns (class names are not numbers either).
  const header = options.header ?? first.fields.some((c, i) => !(names && wanted.includes(i)) && !NUMBER_RE.test(c));
  const columns = header ? first.fields : undefined;
  const width = first.fields.length;
  const body = header ? rows.slice(1) : rows;
  if (body.length === 0) throw new DatasetError(`${source} has a header row but no data rows`);

  const describe = (c: number): string => (columns === undefined ? `column ${c}` : `column '${columns[c] ?? ''}' (index ${c})`);
  if (wanted.length > 1 && labelEncoding === 'class-u8')
    throw new DatasetError(`class-u8 labels are one column; got ${wanted.length} label columns (several need f32 labels)`);
  const labelColumns = wanted.map((w) => {
    if (typeof w === 'number') {
      if (!Number.isInteger(w) || w < 0 || w >= width)
        throw new DatasetError(`label column index ${w} is out of range: ${source} has ${width} columns (0..${width - 1})`);
      return w;
    }
    if (columns === undefined) {
      throw new DatasetError(`label column '${w}' is named, but ${source} has no header row (its first row is all numbers): give a 0-based index`);
    }
    const c = columns.indexOf(w);
    if (c === -1) throw new DatasetError(`${source} has no column '${w}'; its columns are ${columns.map((n) => `'${n}'`).join(', ')}`);
    return c;
  });
  if (new Set(labelColumns).size !== labelColumns.length) throw new DatasetError('a label column is given twice');
  const featureColumns = Array.from({ length: width }, (_, c) => c).filter((c) => !labelColumns.includes(c));
  if (featureColumns.length === 0) throw new DatasetError(`${source} has no feature columns: every column is a label`);

  for (const row of body) {
    if (row.fields.length !== width) {
      throw new DatasetError(`${source} line ${row.line}: ${row.fields.length} fields, expected ${width} (as on line ${first.line})`, {
        line: row.line,
        fields: row.fields.length,
        expected: width,
      });
    }
  }
  const at = (line: number, c: number) => (): string => `${source} line ${line}, ${describe(c)}`;
  const number = (cell: string, line: number, c: number): number => {
    if (cell === '') throw new DatasetError(`${at(line, c)()}: the cell is empty`, { line, column: c });
    if (!NUMBER_RE.test(cell)) throw new DatasetError(`${at(line, c)()}: '${cell.slice(0, 40)}' is not a number`, { line, column: c });
    return Number(cell);
  };

  const classes = names
    ? sortedClasses(
        body.map((r) => r.fields[labelColumns[0] as number] as string),
        source,
      )
    : undefined;
  if (classes?.includes('') === true) {
    const row = body.find((r) => r.fields[labelColumns[0] as number] === '') as { line: number };
    throw new DatasetError(`${at(row.line, labelColumns[0] as number)()}: the label is empty`, { line: row.line });
  }
  const writer = new RecordWriter({
    count: body.length,
    input: [featureColumns.length],
    featureEncoding,
    labelEncoding,
    labelWidth: labelColumns.length,
    source,
  });
  let maxClass = 0;
  body.forEach((row, r) => {
    featureColumns.forEach((c, f) => {
      const v = number(row.fields[c] as string, row.line, c);
      if (featureEncoding === 'u8-unit') {
        if (!Number.isInteger(v) || v < 0 || v > 255) {
          throw new DatasetError(`${at(row.line, c)()}: ${v} is not a byte (u8-unit features are integers 0..255; use f32 for other values)`, {
            line: row.line,
            column: c,
          });
        }
        writer.byte(r, f, v);
      } else writer.float(r, f, toF32(v, at(row.line, c)));
    });
    labelColumns.forEach((c, o) => {
      const cell = row.fields[c] as string;
      if (classes !== undefined) writer.label(r, classes.indexOf(cell));
      else if (labelEncoding === 'class-u8') {
        const k = toClass(number(cell, row.line, c), at(row.line, c));
        maxClass = Math.max(maxClass, k);
        writer.label(r, k);
      } else writer.target(r, o, toF32(number(cell, row.line, c), at(row.line, c)));
    });
  });
  return writer.finish({ outputs: classes?.length ?? (labelEncoding === 'class-u8' ? maxClass + 1 : labelColumns.length), classes });
}
