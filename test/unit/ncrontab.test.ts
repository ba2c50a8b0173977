import { describe, expect, it } from 'vitest';
import { parseSchedule } from '../../local/ncrontab';

const at = (iso: string) => new Date(iso);

describe('NCRONTAB schedules', () => {
  it('fires every five minutes on the minute', () => {
    const sut = parseSchedule('0 */5 * * * *');
    expect(sut(at('2026-11-23T10:05:00Z'))).toBe(true);
    expect(sut(at('2026-11-23T10:05:01Z'))).toBe(false);
    expect(sut(at('2026-11-23T10:06:00Z'))).toBe(false);
  });

  it('supports lists, ranges and days of the week', () => {
    const sut = parseSchedule('30 0 9-17 * * 1-5');
    expect(sut(at('2026-11-23T09:00:30Z'))).toBe(true); // a Monday
    expect(sut(at('2026-11-22T09:00:30Z'))).toBe(false); // a Sunday
    expect(sut(at('2026-11-23T18:00:30Z'))).toBe(false);
    expect(parseSchedule('0 0 3,15 * * *')(at('2026-01-01T15:00:00Z'))).toBe(true);
  });

  it('refuses expressions the host would refuse', () => {
    expect(() => parseSchedule('*/5 * * * *')).toThrow(/six fields/);
    expect(() => parseSchedule('0 61 * * * *')).toThrow(/out of range/);
    expect(() => parseSchedule('0 x * * * *')).toThrow(/Invalid/);
  });
});
