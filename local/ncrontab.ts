/**
 * NCRONTAB schedules as the Functions timer trigger reads them: six fields,
 * `{second} {minute} {hour} {day} {month} {day-of-week}`, each `*`, `*\/n`, `a`, `a-b`, `a-b/n`
 * or a comma list of those.
 */
const RANGES: [number, number][] = [
  [0, 59],
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 6],
];

function parseField(text: string, [min, max]: [number, number]): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const match = /^(\*|\d+(?:-\d+)?)(?:\/(\d+))?$/.exec(part);
    if (!match) throw new Error(`Invalid NCRONTAB field '${text}'`);
    const [from, to] =
      match[1] === '*' ? [min, max] : (match[1] ?? '').split('-').map(Number).concat([Number.NaN]).slice(0, 2);
    const start = from ?? min;
    const end = Number.isNaN(to) ? (match[2] ? max : start) : (to ?? start);
    const step = Number(match[2] ?? 1);
    if (start < min || end > max || step < 1) throw new Error(`NCRONTAB field '${text}' is out of range`);
    for (let v = start; v <= end; v += step) values.add(v);
  }
  return values;
}

export type Schedule = (date: Date) => boolean;

export function parseSchedule(expression: string): Schedule {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 6) throw new Error(`NCRONTAB '${expression}' needs six fields`);
  const sets = fields.map((field, i) => parseField(field, RANGES[i] ?? [0, 0]));
  return (date) => {
    const parts = [
      date.getUTCSeconds(),
      date.getUTCMinutes(),
      date.getUTCHours(),
      date.getUTCDate(),
      date.getUTCMonth() + 1,
      date.getUTCDay(),
    ];
    return parts.every((value, i) => sets[i]?.has(value));
  };
}
