import { aggregateTotal, container, queryPage, readByIds } from '../azure/cosmos';
import { store } from '../azure/store';
import { ImageRecord } from './image.schema';

// Images live in `images` (partition `/imagesetId`): listing and registering happen per imageset,
// and a point read needs the imageset, which is why image ids carry it (`<imagesetId>~<hash>`).

const images = store<ImageRecord>('images', (raw) => ImageRecord.parse(raw), (doc) => doc.imagesetId);

export async function readImage(imagesetId: string, imageId: string): Promise<ImageRecord | undefined> {
  return (await images.read(imageId, imagesetId))?.doc;
}

/** Registers an image; false when it is already registered (the id is derived from the blob name). */
export async function insertImage(record: ImageRecord): Promise<boolean> {
  return (await images.create(record)) !== undefined;
}

export async function imageExists(imagesetId: string, imageId: string): Promise<boolean> {
  return (await readImage(imagesetId, imageId)) !== undefined;
}

export async function listImageRecords(
  imagesetId: string,
  limit: number,
  continuation: string | undefined,
): Promise<{ items: ImageRecord[]; continuation: string | undefined }> {
  const page = await queryPage<ImageRecord>(
    container('images'),
    {
      query: 'SELECT * FROM c WHERE c.imagesetId = @imagesetId AND c.docType = @docType ORDER BY c.blobName',
      parameters: [
        { name: '@imagesetId', value: imagesetId },
        { name: '@docType', value: 'image' },
      ],
    },
    { limit, continuation, partitionKey: imagesetId },
  );
  return { items: page.items.map((item) => ImageRecord.parse(item)), continuation: page.continuation };
}

/** The images with these ids in one imageset (missing ones are simply absent). */
export async function readImages(imagesetId: string, imageIds: string[]): Promise<ImageRecord[]> {
  return readByIds('images', imagesetId, imageIds, (raw) => ImageRecord.parse(raw));
}

/** Count and total size of an imageset's registered images. */
export async function imageTotals(imagesetId: string): Promise<{ count: number; bytes: number }> {
  const query = (select: string) =>
    aggregateTotal(
      container('images'),
      {
        query: `SELECT VALUE ${select} FROM c WHERE c.imagesetId = @imagesetId AND c.docType = @docType`,
        parameters: [
          { name: '@imagesetId', value: imagesetId },
          { name: '@docType', value: 'image' },
        ],
      },
      imagesetId,
    );
  const [count, bytes] = await Promise.all([query('COUNT(1)'), query('SUM(c.size)')]);
  return { count, bytes };
}

/** Every image of an imageset, page by page (exports). */
export async function* allImages(imagesetId: string): AsyncGenerator<ImageRecord[]> {
  let continuation: string | undefined;
  do {
    const page = await listImageRecords(imagesetId, 1000, continuation);
    yield page.items;
    continuation = page.continuation;
  } while (continuation);
}
