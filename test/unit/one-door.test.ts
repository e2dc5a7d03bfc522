// One door for child processes: src/platform/spawn.ts is the only module under src/ that may load
// node:child_process. Checked on the TypeScript sources with the compiler's own parser, so every
// form counts: static import and export-from, side-effect import, import x = require(), dynamic
// import(), require() and createRequire(...)(...) calls. Type-only imports are erased at compile
// time and start nothing: they are allowed.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));
const DOOR = join('platform', 'spawn.ts');
const FORBIDDEN = new Set(['child_process', 'node:child_process']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|cts|js|mjs|cjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every place `text` loads child_process at run time, as "line: what". */
export function childProcessLoads(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const note = (node: ts.Node, what: string): void => {
    found.push(`${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${what}`);
  };
  const forbidden = (node: ts.Node | undefined): boolean =>
    node !== undefined && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && FORBIDDEN.has(node.text);
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && forbidden(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly = clause !== undefined && (clause.isTypeOnly
        || (clause.name === undefined && clause.namedBindings !== undefined && ts.isNamedImports(clause.namedBindings)
          && clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      if (!typeOnly) note(node, 'import');
    } else if (ts.isExportDeclaration(node) && forbidden(node.moduleSpecifier) && !node.isTypeOnly) {
      note(node, 'export ... from');
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && forbidden(node.moduleReference.expression)) {
      note(node, 'import = require()');
    } else if (ts.isCallExpression(node) && node.arguments.some((a) => forbidden(a))) {
      // import('child_process'), require('child_process'), createRequire(url)('child_process'), ...
      note(node, node.expression.kind === ts.SyntaxKind.ImportKeyword ? 'dynamic import()' : `call ${node.expression.getText(source)}()`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

test('the checker sees every way of loading child_process, and lets type-only imports through', () => {
  const loads = (code: string) => childProcessLoads('sample.ts', code);
  assert.equal(loads(`import { spawn } from 'node:child_process';`).length, 1);
  assert.equal(loads(`import cp from "child_process";`).length, 1);
  assert.equal(loads(`import * as cp from 'node:child_process';`).length, 1);
  assert.equal(loads(`import 'node:child_process';`).length, 1);
  assert.equal(loads(`export { spawn } from 'node:child_process';`).length, 1);
  assert.equal(loads(`import cp = require('child_process');`).length, 1);
  assert.equal(loads(`const cp = await import('node:child_process');`).length, 1);
  assert.equal(loads('const cp = await import(`child_process`);').length, 1);
  assert.equal(loads(`const cp = require('node:child_process');`).length, 1);
  assert.equal(loads(`const cp = createRequire(import.meta.url)('child_process');`).length, 1);
  assert.equal(loads(`import type { ChildProcess } from 'node:child_process';`).length, 0);
  assert.equal(loads(`import { type ChildProcess } from 'node:child_process';`).length, 0);
  assert.equal(loads(`// import { spawn } from 'node:child_process'\nconst s = 'child_process is only named here';`).length, 0);
  assert.equal(loads(`import { spawn } from 'node:child_process_x';`).length, 0);
});

test('only src/platform/spawn.ts loads child_process', () => {
  const files = sourceFiles(SRC);
  assert.ok(files.length > 20, `found only ${files.length} source files under ${SRC}`);
  const offenders = files.flatMap((file) => {
    const rel = relative(SRC, file);
    if (rel === DOOR) return [];
    return childProcessLoads(file, readFileSync(file, 'utf8')).map((where) => `src${sep}${rel}:${where}`);
  });
  assert.deepEqual(offenders, [], 'start child processes through src/platform/spawn.ts (the one door)');
  assert.ok(childProcessLoads(DOOR, readFileSync(join(SRC, DOOR), 'utf8')).length > 0, 'the door itself is where child_process is used');
});
