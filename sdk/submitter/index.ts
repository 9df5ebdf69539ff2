// veritrain/submitter: the submitter API (datasets, posting, watching, cancelling, downloading the model).
export * from './progress.ts';
export * from './dataset.ts';
export * from './post.ts';
export * from './job.ts';
export * from './model.ts';
