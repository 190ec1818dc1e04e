import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderApiDocs } from '../../scripts/export-api-docs.js';
import { ErrorBody } from '../../src/common/swagger.setup.js';
import { bootTestApp, type TestApp } from '../support/app.js';

/** The line where two texts part, for a message that points at the drift. */
function firstDifference(committed: string, generated: string): string {
  const a = committed.split('\n');
  const b = generated.split('\n');
  const i = a.findIndex((line, n) => line !== b[n]);
  const at = i === -1 ? a.length : i;
  return `line ${at + 1}: committed ${JSON.stringify(a[at] ?? '<end of file>')}, generated ${JSON.stringify(b[at] ?? '<end of file>')}`;
}

describe('the committed OpenAPI document and Postman collection', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp();
  });
  afterAll(async () => t?.close());

  it('are exactly what the code generates (else: run npm run docs:export and commit postman/)', () => {
    const generated = renderApiDocs(t.app);
    expect(Object.keys(generated).length).toBeGreaterThan(0);
    for (const [path, text] of Object.entries(generated)) {
      const committed = readFileSync(path, 'utf8');
      if (committed !== text)
        expect.fail(`${path} is stale; run npm run docs:export and commit it (${firstDifference(committed, text)})`);
    }
  });

  it('generation is deterministic', () => {
    expect(renderApiDocs(t.app)).toEqual(renderApiDocs(t.app));
  });

  it('documents every error with the shared Error schema and an example of it', () => {
    const doc = JSON.parse(renderApiDocs(t.app)['postman/openapi.json']);
    let errors = 0;
    for (const [path, ops] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        for (const [status, response] of Object.entries<any>(op.responses)) {
          if (Number(status) < 400) continue;
          const media = response.content['application/json'];
          const where = `${method.toUpperCase()} ${path} ${status}`;
          const examples =
            media.example !== undefined
              ? [media.example]
              : Object.values<any>(media.examples ?? {}).map((e) => e.value);
          expect(examples.length, where).toBeGreaterThan(0);
          for (const example of examples) {
            expect(ErrorBody.safeParse(example).success, `${where}: ${JSON.stringify(example)}`).toBe(true);
            errors++;
          }
          if (path !== '/readyz') expect(media.schema, where).toEqual({ $ref: '#/components/schemas/Error' });
        }
      }
    }
    expect(errors).toBeGreaterThan(50);
  });

  it('is the document the app serves', async () => {
    const served = await (await fetch(`${t.url}/docs/openapi.json`)).text();
    expect(JSON.parse(served)).toEqual(JSON.parse(renderApiDocs(t.app)['postman/openapi.json']));
  });
});
