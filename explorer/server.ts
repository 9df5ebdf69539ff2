/**
 * The explorer's web server (node:http): the page (explorer/web/), its TypeScript modules served
 * as JavaScript with their types stripped by Node itself (no bundler, no build step), Chart.js
 * from node_modules through an import map, the snapshot as JSON, and a server-sent event stream
 * that tells the page when a new block changed it. Read-only: it answers GET and HEAD only.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire, stripTypeScriptTypes } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Indexer } from './indexer.ts';

const WEB_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'web');
const require = createRequire(import.meta.url);
/** Packages the page imports, served from their own directories. */
const VENDOR: Readonly<Record<string, string>> = {
  'chart.js': path.dirname(path.dirname(require.resolve('chart.js'))),
  '@kurkle/color': path.dirname(path.dirname(require.resolve('@kurkle/color'))),
};

export interface ExplorerServer {
  readonly url: string;
  close(): Promise<void>;
}

export interface ServeOptions {
  readonly indexer: Indexer;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
}

/** Strips the types of a browser module (erasable TypeScript only, as the whole repository). */
function toJavaScript(source: string, file: string): string {
  // stripTypeScriptTypes is experimental in Node 22 and says so once per process; the page needs no warning.
  const emit = process.emitWarning.bind(process);
  process.emitWarning = () => undefined;
  try {
    return stripTypeScriptTypes(source, { mode: 'strip', sourceUrl: file });
  } finally {
    process.emitWarning = emit;
  }
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.ts': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
};

export async function serveExplorer(o: ServeOptions): Promise<ExplorerServer> {
  const cache = new Map<string, string>();
  const streams = new Set<ServerResponse>();
  const unsubscribe = o.indexer.onChange((version) => {
    for (const res of streams) res.write(`event: version\ndata: ${version}\n\n`);
  });
  const keepAlive = setInterval(() => {
    for (const res of streams) res.write(': keep-alive\n\n');
  }, 15_000);
  keepAlive.unref();

  const sendFile = async (res: ServerResponse, file: string): Promise<void> => {
    let body = cache.get(file);
    if (body === undefined) {
      const text = await readFile(file, 'utf8');
      body = file.endsWith('.ts') ? toJavaScript(text, file) : text;
      cache.set(file, body);
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    res.end(body);
  };
  /** `file` inside `dir`, or undefined for a path that climbs out of it. */
  const inside = (dir: string, rel: string): string | undefined => {
    const file = path.resolve(dir, `.${path.posix.normalize(`/${rel}`)}`);
    return file.startsWith(`${dir}${path.sep}`) ? file : undefined;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://explorer');
    const p = decodeURIComponent(url.pathname);
    if (p === '/' || p === '/index.html') return sendFile(res, path.join(WEB_DIR, 'index.html'));
    if (p === '/api/snapshot') {
      const snap = o.indexer.snapshot();
      if (snap === undefined) {
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end(JSON.stringify({ error: 'the chain has not been read yet' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify({ version: o.indexer.version(), ...snap }));
      return;
    }
    if (p === '/api/stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(`event: version\ndata: ${o.indexer.version()}\n\n`);
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    if (p.startsWith('/app/')) {
      const file = inside(WEB_DIR, p.slice('/app/'.length));
      if (file !== undefined && /\.(ts|css)$/.test(file)) return sendFile(res, file);
    }
    if (p.startsWith('/vendor/')) {
      const rest = p.slice('/vendor/'.length);
      const name = Object.keys(VENDOR).find((n) => rest.startsWith(`${n}/`));
      const dir = name === undefined ? undefined : VENDOR[name];
      const file = dir === undefined || name === undefined ? undefined : inside(dir, rest.slice(name.length + 1));
      if (file !== undefined && file.endsWith('.js')) return sendFile(res, file);
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const missing = (err as { code?: unknown }).code === 'ENOENT';
      if (!res.headersSent) res.writeHead(missing ? 404 : 500, { 'content-type': 'text/plain' });
      res.end(missing ? 'not found\n' : 'internal error\n');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host === '0.0.0.0' ? '127.0.0.1' : o.host;
  return {
    url: `http://${host}:${port}/`,
    async close() {
      unsubscribe();
      clearInterval(keepAlive);
      for (const res of streams) res.end();
      const closed = new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      server.closeAllConnections();
      await closed;
    },
  };
}
