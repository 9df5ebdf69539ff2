/**
 * Dataset records from common formats (docs/PROTOCOL.md §2.4): CSV, NPY, a folder of images per
 * class. Each builder returns a RecordSet: the records, their count and per-record input shape,
 * the encodings and the dataset root, ready for `createDataset` and a spec's `data` block.
 */
export { isFeatureEncoding, isLabelEncoding, type FeatureEncoding, type LabelEncoding, type RecordSet } from './record-set.ts';
export { csvRecords, type CsvRecordsOptions } from './csv.ts';
export { npyRecords, parseNpy, type NpyArray, type NpyRecordsOptions } from './npy.ts';
export { imageFolderRecords, type ImageFolderRecordsOptions } from './images.ts';
