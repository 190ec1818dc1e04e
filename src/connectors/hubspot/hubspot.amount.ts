/**
 * Exact decimal → integer minor units, for HubSpot's free-form number strings ("1234.565").
 *
 * HubSpot stores deal amounts as arbitrary decimal strings; a float would turn "1234.565" into
 * 1234.5649999… and round it down. We parse the digits as integers and round exactly once, at the
 * currency's minor unit, HALF AWAY FROM ZERO on the exact decimal value ("commercial" rounding:
 * 1234.565 USD → 123457 cents, 0.125 → 13, -0.125 → -13). Scientific notation ("1e3") is accepted
 * because it is an exact decimal too. Anything else (empty, "abc", "1,234", "NaN", "Infinity",
 * a value outside bigint range) is refused with AmountParseError.
 */
export class AmountParseError extends Error {}

export { currencyExponent } from '../../common/currency.js';

const DECIMAL = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,4}))?$/;
const INT8_MAX = 9223372036854775807n;
// Bounds keep a hostile "1e9999" from allocating a huge bigint before the range check.
const MAX_DIGITS = 40;
const MAX_EXPONENT = 60;

export function parseDecimalToMinor(raw: string, exponent: number): bigint {
  const s = raw.trim();
  const m = DECIMAL.exec(s);
  if (!m) throw new AmountParseError(`"${raw}" is not a decimal number.`);
  const [, sign, intPart = '', fracPart = '', expPart] = m;
  if (intPart.length + fracPart.length === 0) throw new AmountParseError(`"${raw}" has no digits.`);
  if (intPart.length + fracPart.length > MAX_DIGITS) throw new AmountParseError(`"${raw}" has too many digits.`);
  const exp = expPart === undefined ? 0 : Number(expPart);
  if (Math.abs(exp) > MAX_EXPONENT) throw new AmountParseError(`"${raw}" is out of range.`);

  // value = digits × 10^(exp − fracLen); in minor units multiply by 10^exponent.
  const digits = BigInt(intPart + fracPart || '0');
  const shift = exp - fracPart.length + exponent;
  let minor: bigint;
  if (shift >= 0) {
    minor = digits * 10n ** BigInt(shift);
  } else {
    const d = 10n ** BigInt(-shift);
    const q = digits / d;
    const r = digits % d;
    minor = 2n * r >= d ? q + 1n : q;
  }
  if (minor > INT8_MAX) throw new AmountParseError(`"${raw}" is out of range.`);
  return sign === '-' ? -minor : minor;
}
