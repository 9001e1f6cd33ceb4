import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import templateSetup from '../support/global-setup';
import { PROJECT_ROOT, SERVICE_BUILD_DIR } from '../support/service-process';

const ROOT = PROJECT_ROOT;
const BUILT_ENTRY = join(SERVICE_BUILD_DIR, 'src/main.js');
/**
 * The newest source time the build started from. Comparing sources with it (not with the
 * build's own files) catches a source saved while tsc was running: it is newer than the stamp.
 */
const SOURCES_STAMP = join(SERVICE_BUILD_DIR, '.sources-mtime');

function newestSourceTime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return path.endsWith('.ts') || path.endsWith('.json') ? stat.mtimeMs : 0;
  return readdirSync(path).reduce((newest, name) => Math.max(newest, newestSourceTime(join(path, name))), 0);
}

/**
 * Compiles the service (same compiler and tsconfig.build.json as `npm run build`) when a
 * source is newer than the last build. It goes to a scratch directory swapped in at the end,
 * so a build never leaves a half-written tree behind.
 */
function ensureFreshBuild(): void {
  const sources = ['src', 'migrations', 'tsconfig.json', 'tsconfig.build.json'].map((name) => join(ROOT, name));
  const newest = Math.max(...sources.filter(existsSync).map(newestSourceTime));
  if (existsSync(BUILT_ENTRY) && existsSync(SOURCES_STAMP) && Number(readFileSync(SOURCES_STAMP, 'utf8')) >= newest) {
    return;
  }
  const started = Date.now();
  const scratch = `${SERVICE_BUILD_DIR}-${process.pid}`;
  // TypeScript 7, as `npm run build`; node_modules/.bin/tsc is the TypeScript 6 that ESLint uses.
  const tsc = join(ROOT, 'node_modules/typescript-7/bin/tsc');
  const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', scratch], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (!existsSync(join(scratch, 'src/main.js'))) {
    rmSync(scratch, { recursive: true, force: true });
    throw new Error(`the build failed:\n${build.stdout}\n${build.stderr}`);
  }
  // tsc still emits on type errors; a type error is the typecheck's business, a missing build is ours.
  if (build.status !== 0)
    console.warn(`\nthe build reported type errors (emitted anyway):\n${build.stdout.slice(0, 2000)}`);
  // The pages' templates and catalogues, as `npm run build` copies them.
  const assets = spawnSync(process.execPath, [join(ROOT, 'src/modules/pages/copy-assets.mjs'), scratch], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (assets.status !== 0) throw new Error(`copying the page assets failed:\n${assets.stderr}`);
  writeFileSync(join(scratch, '.sources-mtime'), String(newest));
  const previous = `${SERVICE_BUILD_DIR}-old-${process.pid}`;
  if (existsSync(SERVICE_BUILD_DIR)) renameSync(SERVICE_BUILD_DIR, previous);
  renameSync(scratch, SERVICE_BUILD_DIR);
  rmSync(previous, { recursive: true, force: true });
  console.log(`\nbuilt the service in ${Date.now() - started} ms`);
}

/** The resilience run: a fresh build for the child processes, then the usual template database. */
export default async function globalSetup(): Promise<void> {
  ensureFreshBuild();
  await templateSetup();
}
