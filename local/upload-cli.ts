import { main } from '../shared/labels/upload/cli';

/**
 * `npm run upload -- <folder> --imageset <id> --api <baseUrl> --key <apiKey>` (or `--sas <url>`),
 * and `npx mlassets-upload …` through `bin/upload.js`. See shared/labels/upload/cli.ts for options.
 */
if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

export { main };
