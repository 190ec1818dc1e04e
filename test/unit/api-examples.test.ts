import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseCursor } from '../../src/connectors/stripe/stripe.cursor.js';
import { RUN_EXAMPLE } from '../../src/runs/runs.schemas.js';

/** Every `*.schemas.ts` under src, imported. */
async function schemaModules(): Promise<Array<[string, Record<string, unknown>]>> {
  const root = resolve('src');
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.schemas.ts'));
  return Promise.all(
    files.map(
      async (f) =>
        [f, (await import(pathToFileURL(join(root, f)).href)) as Record<string, unknown>] as [
          string,
          Record<string, unknown>,
        ],
    ),
  );
}

const schemaOf = (v: unknown): z.ZodType | undefined =>
  v instanceof z.ZodType
    ? v
    : typeof v === 'function' && (v as { isZodDto?: boolean }).isZodDto
      ? (v as unknown as { schema: z.ZodType }).schema
      : undefined;

describe('OpenAPI examples are real values of their shapes', () => {
  it('every example declared on a schema parses with that schema', async () => {
    let checked = 0;
    for (const [file, exports] of await schemaModules()) {
      for (const [name, value] of Object.entries(exports)) {
        const schema = schemaOf(value);
        const example = schema && z.globalRegistry.get(schema)?.example;
        if (!schema || example === undefined) continue;
        const result = schema.safeParse(example);
        expect(result.success, `${file} ${name}: ${JSON.stringify(result.error?.issues)}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(15);
  });

  it("the run example's cursors are in the Stripe connector's current format", () => {
    for (const cursor of [RUN_EXAMPLE.cursorBefore, RUN_EXAMPLE.cursorAfter]) {
      const parsed = parseCursor(cursor);
      expect(parsed).not.toBe('invalid');
      expect(parsed).toEqual(cursor);
    }
  });
});
