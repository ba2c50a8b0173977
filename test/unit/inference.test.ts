import { readFileSync } from 'node:fs';
import path from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { cacheKeyOf } from '../../shared/inference/cache.service';
import { canonicalJson } from '../../shared/json/canonical';
import { parseIdempotencyKey } from '../../shared/http/idempotency-key';
import { deadlineOf } from '../../shared/inference/deadline';
import { periodsOf } from '../../shared/inference/grant.service';
import { type ModelSnapshot, SubmitJobBody } from '../../shared/inference/model.schema';
import { accuracy, fit, IRIS_CLASSES, parseIrisCsv, predictIris, trainIris } from '../../shared/inference/models/iris.model';
import { colourName, detectSalientRegion } from '../../shared/inference/models/salient-region.model';
import { decodePng, UnsupportedImage } from '../../shared/inference/models/salient-region.png';
import { signWebhook, verifyWebhook } from '../../shared/inference/webhook.service';

const irisCsv = readFileSync(path.resolve(__dirname, '../../local/seed/data/iris.csv'), 'utf8');

describe('the iris classifier', () => {
  const rows = parseIrisCsv(irisCsv);

  it('reads the 150 rows of the shipped data, 50 per species', () => {
    expect(rows).toHaveLength(150);
    for (let label = 0; label < 3; label++) expect(rows.filter((row) => row.label === label)).toHaveLength(50);
  });

  it('reads other spellings of the header and of the species', () => {
    const sut = parseIrisCsv('"Sepal.Length","Sepal.Width","Petal.Length","Petal.Width","Species"\n5.1,3.5,1.4,0.2,Iris-setosa\n');
    expect(sut).toEqual([{ features: [5.1, 3.5, 1.4, 0.2], label: 0 }]);
    expect(() => parseIrisCsv('a,b\n1,2')).toThrow(/header/);
  });

  it('trains deterministically to high accuracy, measured by training, 10-fold and leave-one-out accuracy', () => {
    const sut = trainIris(rows, { file: 'iris.csv', sha256: 'x' });
    expect(trainIris(rows, { file: 'iris.csv', sha256: 'x' }).version).toBe(sut.version);
    expect(sut.metrics.trainingAccuracy).toBeGreaterThanOrEqual(0.95);
    expect(sut.metrics.crossValidation.accuracy).toBeGreaterThanOrEqual(0.93);
    expect(sut.metrics.leaveOneOutAccuracy).toBeGreaterThanOrEqual(0.93);
    expect(sut.classes).toEqual(IRIS_CLASSES);
  });

  it('predicts the species of known flowers with probabilities that sum to one', () => {
    const sut = fit(rows);
    const setosa = predictIris(sut, { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 });
    expect(setosa.species).toBe('setosa');
    expect(setosa.probabilities.setosa + setosa.probabilities.versicolor + setosa.probabilities.virginica).toBeCloseTo(1, 3);
    expect(predictIris(sut, { sepal_length: 6.3, sepal_width: 3.3, petal_length: 6.0, petal_width: 2.5 }).species).toBe('virginica');
    expect(accuracy(sut, rows)).toBeGreaterThan(0.95);
  });
});

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/** A PNG of colour type `type` whose rows use filter `filter` (raw bytes given unfiltered per pixel). */
function png(width: number, height: number, type: number, pixel: (x: number, y: number) => number[], filter = 0, palette?: number[]): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;
  header[9] = type;
  const rows: Buffer[] = [];
  let previous: Buffer | undefined;
  for (let y = 0; y < height; y++) {
    const raw = Buffer.from(Array.from({ length: width }, (_, x) => pixel(x, y)).flat());
    const bpp = raw.length / width;
    const filtered = Buffer.alloc(raw.length);
    for (let i = 0; i < raw.length; i++) {
      const left = i >= bpp ? raw[i - bpp]! : 0;
      const up = previous ? previous[i]! : 0;
      const upLeft = previous && i >= bpp ? previous[i - bpp]! : 0;
      const p = left + up - upLeft;
      const paeth = Math.abs(p - left) <= Math.abs(p - up) && Math.abs(p - left) <= Math.abs(p - upLeft) ? left : Math.abs(p - up) <= Math.abs(p - upLeft) ? up : upLeft;
      const predictor = [0, left, up, (left + up) >> 1, paeth][filter]!;
      filtered[i] = (raw[i]! - predictor + 256) & 0xff;
    }
    rows.push(Buffer.concat([Buffer.from([filter]), filtered]));
    previous = raw;
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    ...(palette ? [chunk('PLTE', Buffer.from(palette))] : []),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('the PNG decoder', () => {
  const gradient = (x: number, y: number) => [(x * 13 + y) & 0xff, (y * 7) & 0xff, (x * y) & 0xff];

  it.each([0, 1, 2, 3, 4])('undoes row filter %i', (filter) => {
    const sut = decodePng(png(9, 7, 2, gradient, filter));
    expect([...sut.pixels.subarray((3 * 9 + 4) * 3, (3 * 9 + 4) * 3 + 3)]).toEqual(gradient(4, 3));
  });

  it('decodes greyscale, grey+alpha, RGBA and palette images to RGB', () => {
    expect([...decodePng(png(2, 1, 0, () => [77])).pixels]).toEqual([77, 77, 77, 77, 77, 77]);
    expect([...decodePng(png(1, 1, 4, () => [10, 255])).pixels]).toEqual([10, 10, 10]);
    expect([...decodePng(png(1, 1, 6, () => [1, 2, 3, 4])).pixels]).toEqual([1, 2, 3]);
    expect([...decodePng(png(2, 1, 3, (x) => [x], 0, [9, 8, 7, 6, 5, 4])).pixels]).toEqual([9, 8, 7, 6, 5, 4]);
  });

  it('decodes 16-bit images to 8 bits per channel', () => {
    const sixteenBit = png(1, 1, 2, () => [0x12, 0x34, 0x56, 0x78, 0xff, 0xff]);
    sixteenBit[24] = 16; // the bit depth in IHDR: six bytes are one 16-bit RGB pixel
    expect([...decodePng(sixteenBit).pixels]).toEqual([0x12, 0x56, 0xff]);
  });

  it('refuses what it does not decode, saying why', () => {
    expect(() => decodePng(Buffer.from('GIF89a'))).toThrow(/not a PNG/);
    expect(() => decodePng(png(4, 4, 2, gradient).subarray(0, 40))).toThrow(UnsupportedImage);
    const huge = png(1, 1, 2, () => [1, 2, 3]);
    huge.writeUInt32BE(100_000, 16);
    huge.writeUInt32BE(100_000, 20);
    expect(() => decodePng(huge)).toThrow(/too large/);
  });
});

describe('the salient-region detector', () => {
  const image = (box: { x0: number; y0: number; x1: number; y1: number }, colour: number[], background = [255, 255, 255]) =>
    decodePng(png(60, 40, 2, (x, y) => (x >= box.x0 && x < box.x1 && y >= box.y0 && y < box.y1 ? colour : background)));

  it('finds the one region that differs from the border and names its colour', () => {
    expect(detectSalientRegion(image({ x0: 10, y0: 5, x1: 30, y1: 25 }, [30, 60, 200]))).toEqual([
      { label: 'blue', confidence: 1, xMin: 10, yMin: 5, xMax: 30, yMax: 25 },
    ]);
    expect(detectSalientRegion(image({ x0: 0, y0: 0, x1: 0, y1: 0 }, [0, 0, 0]))).toEqual([]);
  });

  it('names colours by hue, saturation and value', () => {
    expect([colourName(230, 20, 20), colourName(20, 200, 40), colourName(250, 240, 30), colourName(10, 10, 10), colourName(128, 128, 128), colourName(250, 250, 250)]).toEqual([
      'red',
      'green',
      'yellow',
      'black',
      'grey',
      'white',
    ]);
  });
});

describe('webhook signatures', () => {
  it('match the Standard Webhooks reference example', () => {
    // From the Standard Webhooks specification's test vectors.
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const sut = signWebhook(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
    expect(sut).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
    expect(verifyWebhook(secret, { id: 'msg_p5jXN8AQM9LWM0D4loKWxJek', timestamp: '1614265330', signature: `v1,bogus ${sut}` }, '{"test": 2432232314}')).toBe(true);
    expect(verifyWebhook(secret, { id: 'msg_p5jXN8AQM9LWM0D4loKWxJek', timestamp: '1614265331', signature: sut }, '{"test": 2432232314}')).toBe(false);
  });
});

describe('Cancel-After', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');
  it.each([
    ['90s', 90_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['2h', 7_200_000],
    ['500ms', 500],
    ['1m30s', 90_000],
    ['600', 600_000],
    ['2025-06-01T13:00:00Z', 3_600_000],
    ['PT1H', 3_600_000],
    ['PT1H30M', 5_400_000],
    ['PT90S', 90_000],
    ['PT0.5S', 500],
    ['P1D', 86_400_000],
    ['P1DT2H', 93_600_000],
  ])('reads %s', (text, ms) => {
    expect(deadlineOf(text, '/x', now).getTime() - now).toBe(ms);
  });

  it.each(['soon', '', '-5s', '0', '8d', '2025-05-01T00:00:00Z', '2025-07-01T00:00:00Z', '5 m', 'P', 'PT', 'P1M', 'P1Y', 'P8D', 'PT1H-5M'])('refuses %s', (text) => {
    expect(() => deadlineOf(text, '/headers/cancel-after', now)).toThrow();
  });
});

describe('the result cache key', () => {
  const model: ModelSnapshot = { id: 'm', version: '1', runtime: { kind: 'builtin', name: 'iris-classifier' } };

  it('ignores key order but not values, versions or runtimes', () => {
    expect(canonicalJson({ b: [1, { d: 2, c: 3 }], a: null })).toBe('{"a":null,"b":[1,{"c":3,"d":2}]}');
    expect(cacheKeyOf(model, { a: 1, b: 2 })).toBe(cacheKeyOf(model, { b: 2, a: 1 }));
    expect(cacheKeyOf(model, { a: 1 })).not.toBe(cacheKeyOf(model, { a: 2 }));
    expect(cacheKeyOf(model, { a: 1 })).not.toBe(cacheKeyOf({ ...model, version: '2' }, { a: 1 }));
    expect(cacheKeyOf(model, { a: 1 })).not.toBe(cacheKeyOf({ ...model, runtime: { kind: 'builtin', name: 'other' } }, { a: 1 }));
  });
});

describe('Idempotency-Key', () => {
  it('takes a structured-field string or a bare token, and refuses anything else', () => {
    expect(parseIdempotencyKey('"8e03978e-40d5-43e8-bc93-6894a57f9324"')).toBe('8e03978e-40d5-43e8-bc93-6894a57f9324');
    expect(parseIdempotencyKey('abc')).toBe('abc');
    expect(parseIdempotencyKey(null)).toBeUndefined();
    expect(() => parseIdempotencyKey('""')).toThrow();
    expect(() => parseIdempotencyKey('x'.repeat(256))).toThrow();
    expect(() => parseIdempotencyKey('tab\there')).toThrow();
  });
});

describe('quota periods', () => {
  it('are the UTC day and month, resetting at the next midnight and the first of the next month', () => {
    const [day, month] = periodsOf(new Date('2025-12-31T23:59:30Z'));
    expect(day).toMatchObject({ kind: 'daily', key: '2025-12-31', resetsAt: new Date('2026-01-01T00:00:00Z') });
    expect(month).toMatchObject({ kind: 'monthly', key: '2025-12', resetsAt: new Date('2026-01-01T00:00:00Z') });
  });
});

describe('the submit body', () => {
  it('needs exactly one of input and imagesetId and refuses unknown fields', () => {
    expect(SubmitJobBody.safeParse({ input: null }).success).toBe(true);
    expect(SubmitJobBody.safeParse({ input: 1, imagesetId: '0123456789abcdef' }).success).toBe(false);
    expect(SubmitJobBody.safeParse({}).success).toBe(false);
    expect(SubmitJobBody.safeParse({ input: 1, other: 1 }).success).toBe(false);
    expect(SubmitJobBody.safeParse({ input: 1, webhookUrl: 'https://hooks.example.com/x' }).success).toBe(true);
    expect(SubmitJobBody.safeParse({ input: 1, webhookUrl: 'http://hooks.example.com/x' }).success).toBe(false);
    expect(SubmitJobBody.safeParse({ input: 1, webhookUrl: 'http://127.0.0.1:9/x' }).success).toBe(true);
    expect(SubmitJobBody.safeParse({ input: 1, webhookUrl: 'https://user:pw@hooks.example.com/x' }).success).toBe(false);
  });
});
