import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Request, Response } from 'express';
import { openTestDb } from '../support/db.js';
import { IdempotencyRepository } from '../../src/idempotency/idempotency.repository.js';
import { IdempotencyService } from '../../src/idempotency/idempotency.service.js';
import { AppError } from '../../src/common/app.errors.js';

/** Minimal express request/response stand-ins: the database underneath is real. */
function req(key: string | undefined, path: string, body: unknown): Request {
  return { header: (n: string) => (n.toLowerCase() === 'idempotency-key' ? key : undefined), path, method: 'POST', body } as unknown as Request;
}
function res() {
  const out = { status: 0, body: undefined as unknown, headers: {} as Record<string, string> };
  const r = {
    status(s: number) {
      out.status = s;
      return r;
    },
    json(b: unknown) {
      out.body = b;
      return r;
    },
    setHeader(k: string, v: string) {
      out.headers[k] = v;
    },
    getHeader: () => 'req-1',
  };
  return { r: r as unknown as Response, out };
}

describe('idempotency (real Postgres)', () => {
  let t: Awaited<ReturnType<typeof openTestDb>>;
  let svc: IdempotencyService;
  beforeAll(async () => {
    t = await openTestDb();
    svc = new IdempotencyService(new IdempotencyRepository(t.db));
  });
  afterAll(async () => t.close());

  it('ten concurrent requests with one key execute once and all get the same answer', async () => {
    let executions = 0;
    const fn = async () => {
      executions++;
      await new Promise((r) => setTimeout(r, 150));
      return { runId: String(executions) };
    };
    const results = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const { r, out } = res();
        await svc.execute(req('race-key-1', '/trigger/stripe/full', { a: 1 }), r, 202, fn);
        return out;
      }),
    );
    expect(executions).toBe(1);
    for (const o of results) expect(o).toMatchObject({ status: 202, body: { runId: '1' } });
    expect(results.filter((o) => o.headers['Idempotent-Replayed'] === 'true')).toHaveLength(9);
  });

  it('same key with another body or route is 409 idempotency_key_mismatch', async () => {
    const { r } = res();
    await svc.execute(req('k-mismatch', '/trigger/stripe/full', { a: 1 }), r, 202, async () => ({ ok: true }));
    await expect(svc.execute(req('k-mismatch', '/trigger/stripe/full', { a: 2 }), res().r, 202, async () => ({}))).rejects.toMatchObject({
      status: 409,
      code: 'idempotency_key_mismatch',
    });
    await expect(svc.execute(req('k-mismatch', '/trigger/hubspot/full', { a: 1 }), res().r, 202, async () => ({}))).rejects.toMatchObject({
      code: 'idempotency_key_mismatch',
    });
  });

  it('missing key is 400 idempotency_key_required; a malformed key is validation_failed', async () => {
    await expect(svc.execute(req(undefined, '/x', {}), res().r, 202, async () => ({}))).rejects.toMatchObject({ status: 400, code: 'idempotency_key_required' });
    await expect(svc.execute(req('bad key with spaces', '/x', {}), res().r, 202, async () => ({}))).rejects.toMatchObject({ status: 400, code: 'validation_failed' });
  });

  it('a 4xx outcome is stored and replayed; a 5xx outcome releases the key', async () => {
    const fail4 = async () => {
      throw new AppError(400, 'source_not_enabled', 'nope');
    };
    await expect(svc.execute(req('k-4xx', '/p', {}), res().r, 202, fail4)).rejects.toMatchObject({ code: 'source_not_enabled' });
    const { r, out } = res();
    await svc.execute(req('k-4xx', '/p', {}), r, 202, async () => ({ shouldNot: 'run' }));
    expect(out.status).toBe(400);
    expect(out.body).toMatchObject({ error: 'source_not_enabled' });
    expect(out.headers['Idempotent-Replayed']).toBe('true');

    await expect(svc.execute(req('k-5xx', '/p', {}), res().r, 202, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const second = res();
    await svc.execute(req('k-5xx', '/p', {}), second.r, 202, async () => ({ ran: true }));
    expect(second.out).toMatchObject({ status: 202, body: { ran: true } });
  });

  it('an expired key can be reused', async () => {
    await svc.execute(req('k-exp', '/p', { v: 1 }), res().r, 202, async () => ({ v: 1 }));
    await t.db.query(`UPDATE api_idempotency SET expires_at = now() - interval '1 second' WHERE key = 'k-exp'`);
    const { r, out } = res();
    await svc.execute(req('k-exp', '/p', { v: 2 }), r, 202, async () => ({ v: 2 }));
    expect(out.body).toEqual({ v: 2 });
  });
});

describe('idempotency purge (real Postgres)', () => {
  it('deletes only expired keys', async () => {
    const t = await openTestDb();
    try {
      const repo = new IdempotencyRepository(t.db);
      const { IdempotencyPurge } = await import('../../src/idempotency/idempotency.purge.js');
      await repo.claim('live', 'POST', '/a', 'h');
      await repo.claim('old', 'POST', '/a', 'h');
      await t.db.query(`UPDATE api_idempotency SET expires_at = now() - interval '1 minute' WHERE key = 'old'`);
      const purge = new IdempotencyPurge(repo);
      expect(await purge.purge()).toBe(1);
      expect((await t.db.query<{ key: string }>('SELECT key FROM api_idempotency')).map((r) => r.key)).toEqual(['live']);
    } finally {
      await t.close();
    }
  });
});
