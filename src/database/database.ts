import type { MikroORM } from '@mikro-orm/postgresql';
import { IsolationLevel } from '@mikro-orm/core';

/**
 * The narrow SQL surface repositories use. Placeholders are `?` (MikroORM style); avoid the
 * jsonb `?` operator (use jsonb_exists) in parameterised statements.
 * Postgres int8 comes back as string and timestamptz as string: repositories convert.
 */
export interface Sql {
  query<T = Record<string, any>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

export interface TxOptions {
  isolation?: 'read committed' | 'repeatable read' | 'serializable';
  readOnly?: boolean;
}

const ISOLATION: Record<NonNullable<TxOptions['isolation']>, IsolationLevel> = {
  'read committed': IsolationLevel.READ_COMMITTED,
  'repeatable read': IsolationLevel.REPEATABLE_READ,
  serializable: IsolationLevel.SERIALIZABLE,
};

export class Database implements Sql {
  constructor(readonly orm: MikroORM) {}

  async query<T = Record<string, any>>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return (await this.orm.em.fork().execute(sql, params as unknown[], 'all')) as T[];
  }

  /** Runs fn in one transaction; every statement issued through the given Sql shares it. */
  async tx<T>(fn: (sql: Sql) => Promise<T>, opts: TxOptions = {}): Promise<T> {
    const em = this.orm.em.fork();
    return em.transactional(
      async (tem) => {
        const sql: Sql = { query: async (q, p = []) => (await tem.execute(q, p as unknown[], 'all')) as any };
        if (opts.readOnly) await sql.query('SET TRANSACTION READ ONLY');
        return fn(sql);
      },
      { isolationLevel: opts.isolation ? ISOLATION[opts.isolation] : undefined },
    );
  }

  async ping(): Promise<number> {
    const t0 = performance.now();
    await this.query('SELECT 1');
    return Math.round(performance.now() - t0);
  }
}

/** Postgres errors that mean "the database is not there" rather than "your query is wrong". */
export function isDbUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string; name?: string } | null;
  if (!e) return false;
  const code = String(e.code ?? '');
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08006'].includes(code)) return true;
  const msg = String(e.message ?? '');
  return /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect|Client has encountered a connection error|ECONNRESET|the database system is (starting|shutting) down/i.test(msg) || e.name === 'ConnectionException';
}
