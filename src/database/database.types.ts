import { ArrayType, type Platform, type TransformContext } from '@mikro-orm/core';

/**
 * A text[] column that stores every string exactly. MikroORM writes array elements unquoted
 * unless they contain `"{},\`, and Postgres then trims their surrounding blanks and reads a bare
 * NULL as SQL NULL: vendor strings such as `charge:pending ` would come back altered. Quoting
 * every element (escaping `"` and `\`) keeps them as they were.
 */
export class TextArrayType extends ArrayType<string> {
  override convertToDatabaseValue(
    value: string[] | null,
    platform: Platform,
    context?: TransformContext,
  ): string | null {
    if (!Array.isArray(value)) return super.convertToDatabaseValue(value, platform, context);
    return `{${value.map((v) => `"${String(v).replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
  }
}
