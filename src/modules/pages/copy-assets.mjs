// The pages' templates, catalogues and stylesheet are read at run time from beside the compiled
// module: `node src/modules/pages/copy-assets.mjs <outDir>` copies them into a build (npm run build,
// and the resilience suite's own build).
import { cpSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../../..');
const outDir = process.argv[2];
if (!outDir) throw new Error('usage: copy-assets.mjs <outDir>');
for (const folder of ['views', 'i18n', 'assets']) {
  cpSync(join(here, folder), join(outDir, relative(root, here), folder), {
    recursive: true,
    filter: (file) => !file.endsWith('.ts'),
  });
}
