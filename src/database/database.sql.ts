import type { MikroORM } from "@mikro-orm/postgresql";
import { IsolationLevel } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { CompiledQuery } from 'kysely';

/**
 * The narrow SQL surface repositories use: plain SQL with `$1…$n` bind parameters (arrays bind as
 * Postgres arrays), sent through the MikroORM entity manager's Kysely executor so statements join
 * the current MikroORM transaction. int8 and timestamptz come back as strings: repositories convert.
 */
export interface Sql {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

/** A nullable timestamptz column (a string from the driver) as a Date. */
export const dateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(v as string));

export interface TxOptions {
  isolation?: 'read committed' | 'repeatable read' | 'serializable';
  readOnly?: boolean;
}

const ISOLATION: Record<NonNullable<TxOptions['isolation']>, IsolationLevel> = {
  'read committed': IsolationLevel.READ_COMMITTED,
  'repeatable read': IsolationLevel.REPEATABLE_READ,
  serializable: IsolationLevel.SERIALIZABLE,
};

async function run<T>(em: EntityManager, sql: string, params: readonly unknown[]): Promise<T[]> {
  const res = await em.getKysely().executeQuery(CompiledQuery.raw(sql, params as unknown[]));
  return res.rows as T[];
}

export class Database implements Sql {
  constructor(readonly orm: MikroORM) {}

  async query<T = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return run<T>(this.orm.em.fork(), sql, params);
  }

  /** Runs fn in one transaction; every statement issued through the given Sql shares it. */
  async tx<T>(fn: (sql: Sql) => Promise<T>, opts: TxOptions = {}): Promise<T> {
    const em = this.orm.em.fork();
    return em.transactional(
      async (tem) => {
        const sql: Sql = { query: (q, p = []) => run(tem, q, p) };
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
  // 3D000/28000/28P01/57P04: the database is gone or refuses our login, which only happens on connect.
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P02', '57P03', '57P04', '53300', '08000', '08001', '08003', '08006', '3D000', '28000', '28P01'].includes(code)) return true;
  const msg = String(e.message ?? '');
  // 55000 is a broad class; on connect it means ALLOW_CONNECTIONS false (a database being maintained).
  return /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect|Client has encountered a connection error|ECONNRESET|the database system is (starting|shutting) down|is not currently accepting connections/i.test(msg) || e.name === 'ConnectionException';
}
