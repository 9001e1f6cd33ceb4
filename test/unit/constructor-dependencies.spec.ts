import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as ts from 'typescript';

/** A constructor that takes more collaborators than this is asking to be split (STYLE.md). */
const MAX_DEPENDENCIES = 8;
const SRC = join(__dirname, '..', '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts')
      ? [path]
      : [];
  });
}

function isInjectable(node: ts.ClassDeclaration): boolean {
  return (ts.getDecorators(node) ?? []).some(
    (decorator) =>
      ts.isCallExpression(decorator.expression) &&
      ts.isIdentifier(decorator.expression.expression) &&
      decorator.expression.expression.text === 'Injectable',
  );
}

/** `file:Class` → constructor parameter count, for every @Injectable() class under src/. */
export function injectableDependencies(files: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const file of files) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isClassDeclaration(node) && isInjectable(node)) {
        const constructor = node.members.find(ts.isConstructorDeclaration);
        counts.set(`${relative(SRC, file)}:${node.name?.text ?? '(anonymous)'}`, constructor?.parameters.length ?? 0);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return counts;
}

describe('constructor dependencies', () => {
  const counts = injectableDependencies(sourceFiles(SRC));

  it('should find the injectables it checks', () => {
    expect(counts.get('modules/sessions/session-issuer.service.ts:SessionIssuer')).toBeGreaterThan(0);
    expect(counts.size).toBeGreaterThan(50);
  });

  it(`should give no @Injectable() class more than ${MAX_DEPENDENCIES} constructor dependencies`, () => {
    const tooMany = [...counts]
      .filter(([, count]) => count > MAX_DEPENDENCIES)
      .map(([name, count]) => `${name} (${count})`);
    expect(tooMany).toEqual([]);
  });
});
