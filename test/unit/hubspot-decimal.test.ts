import { describe, expect, it } from 'vitest';
import {
  AmountParseError,
  currencyExponent,
  parseDecimalToMinor,
} from '../../src/connectors/hubspot/hubspot.amount.js';

describe('parseDecimalToMinor (exact, half away from zero)', () => {
  const cases: [string, number, bigint][] = [
    ['1234.565', 2, 123457n], // a float would make this 1234.5649999… → 123456
    ['1234.56', 2, 123456n],
    ['1234.5649', 2, 123456n],
    ['1.005', 2, 101n], // 1.005 * 100 === 100.49999999999999 in floating point
    ['0.1', 2, 10n],
    ['0.2', 2, 20n],
    ['0.3', 2, 30n], // 0.1 + 0.2 !== 0.3 in floats; in minor units 10 + 20 === 30
    ['0.125', 2, 13n],
    ['0.124999', 2, 12n],
    ['-0.125', 2, -13n],
    ['-12.34', 2, -1234n],
    ['+7', 2, 700n],
    ['500', 2, 50000n],
    ['500.', 2, 50000n],
    ['.5', 2, 50n],
    ['  42.10 ', 2, 4210n],
    ['1e3', 2, 100000n],
    ['1.5E-1', 2, 15n],
    ['12345678901234567.89', 2, 1234567890123456789n],
    ['1234.5', 0, 1235n], // JPY: no minor unit, rounds to whole yen
    ['1234.4', 0, 1234n],
    ['1000', 0, 1000n],
    ['1.2345', 3, 1235n], // KWD-style three decimals
    ['0', 2, 0n],
    ['0.004', 2, 0n],
    ['0.005', 2, 1n],
  ];
  it.each(cases)('%s with exponent %i → %s', (raw, exp, want) => {
    expect(parseDecimalToMinor(raw, exp)).toBe(want);
  });

  it('sums of parsed amounts do not drift', () => {
    const total = ['0.1', '0.2', '1234.565', '19.99'].reduce((s, a) => s + parseDecimalToMinor(a, 2), 0n);
    expect(total).toBe(10n + 20n + 123457n + 1999n);
  });

  it.each([
    '',
    '   ',
    'abc',
    '1,234.56',
    '12.3.4',
    'NaN',
    'Infinity',
    '-',
    '.',
    '1e',
    '0x10',
    '1 000',
    '$12',
    '1e99999',
    '99999999999999999999.99',
  ])('refuses %j', (raw) => {
    expect(() => parseDecimalToMinor(raw, 2)).toThrow(AmountParseError);
  });

  it('knows the ISO minor units that are not 2', () => {
    expect(currencyExponent('USD')).toBe(2);
    expect(currencyExponent('EUR')).toBe(2);
    expect(currencyExponent('JPY')).toBe(0);
    expect(currencyExponent('KRW')).toBe(0);
    expect(currencyExponent('KWD')).toBe(3);
    expect(currencyExponent('CLF')).toBe(4);
  });
});
