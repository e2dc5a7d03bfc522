// The shape of the module graph, checked on what runs: the compiled JavaScript under dist/src, with
// static imports, export-from and dynamic import('...') all counted (a lazy import is still an edge:
// it loads the module when it runs). Two rules:
// - no import cycle through the CLI side, the runtime or the library (src/control, src/runtime,
//   src/cli, src/lib, src/service): a cycle there means two modules that cannot be read, tested or
//   loaded one without the other (the start path was one: start <-> start-managed, start ->
//   breakaway -> service-select -> start);
// - nothing the gateway's own processes load (src/runtime, src/gateway, src/channels) reaches CLI
//   code (src/control, src/cli, src/lib, the library's entry), directly or through another module.
// Only compiled files whose TypeScript source still exists count: tsc never deletes the output of a
// module that was moved or removed, and such a stale file runs nowhere.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const DIST = fileURLToPath(new URL('../../src/', import.meta.url));
const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));

type Graph = ReadonlyMap<string, readonly string[]>;

/** The relative modules `text` loads: import/export-from declarations and import('literal') calls. */
export function importsOf(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [first] = node.arguments;
      if (first !== undefined && (ts.isStringLiteral(first) || ts.isNoSubstitutionTemplateLiteral(first))) found.push(first.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found.filter((specifier) => specifier.startsWith('.'));
}

/** The strongly connected components with more than one module (or a module importing itself). */
export function cyclesIn(graph: Graph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (node: string): void => {
    index.set(node, next);
    low.set(node, next++);
    stack.push(node);
    onStack.add(node);
    for (const to of graph.get(node) ?? []) {
      if (!graph.has(to)) continue;
      if (!index.has(to)) {
        connect(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(node, Math.min(low.get(node)!, index.get(to)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) connect(node);
  return found;
}

/** Every module reachable from `from` (not counting itself unless a cycle leads back). */
export function reachable(graph: Graph, from: string): Set<string> {
  const seen = new Set<string>();
  const pending = [...(graph.get(from) ?? [])];
  while (pending.length > 0) {
    const node = pending.pop()!;
    if (seen.has(node)) continue;
    seen.add(node);
    pending.push(...(graph.get(node) ?? []));
  }
  return seen;
}

function compiledFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return compiledFiles(path);
    return entry.name.endsWith('.js') ? [path] : [];
  });
}

/** dist/src as a graph of paths relative to it ("control/start.js"), for modules whose source exists. */
function compiledGraph(): Graph {
  const live = compiledFiles(DIST).filter((file) => existsSync(join(SRC, relative(DIST, file)).replace(/\.js$/, '.ts')));
  const name = (file: string): string => relative(DIST, file).split(sep).join('/');
  return new Map(live.map((file) => [name(file), importsOf(file, readFileSync(file, 'utf8')).map((specifier) => name(resolve(dirname(file), specifier)))]));
}

const CHECKED_FOR_CYCLES = /^(control|runtime|cli|lib|service)\//;
const GATEWAY_PROCESS = /^(runtime|gateway|channels)\//;
const CLI_SIDE = /^(control\/|cli\/|lib\/|index\.js$)/;

test('the checker sees static, re-exported and dynamic imports, and finds cycles and what is reachable', () => {
  assert.deepEqual(importsOf('a.js', `import { x } from './x.js'; export * from '../y.js'; import 'node:fs'; const z = await import('./z.js'); import(\`./t.js\`); import(name);`),
    ['./x.js', '../y.js', './z.js', './t.js']);
  const graph = new Map([['a', ['b']], ['b', ['c']], ['c', ['a', 'd']], ['d', []], ['e', ['e']], ['f', ['d']]]);
  assert.deepEqual(cyclesIn(graph).map((c) => c.join(' ')).sort(), ['a b c', 'e']);
  assert.deepEqual(cyclesIn(new Map([['a', ['b']], ['b', ['c']], ['c', []]])), []);
  assert.deepEqual([...reachable(graph, 'f')], ['d']);
  assert.deepEqual([...reachable(graph, 'a')].sort(), ['a', 'b', 'c', 'd']);
});

test('no import cycle through src/control, src/runtime, src/cli, src/lib or src/service', () => {
  const graph = compiledGraph();
  assert.ok(graph.has('control/start.js') && graph.has('runtime/monitor.js'), `read ${graph.size} compiled modules under ${DIST}`);
  const cycles = cyclesIn(graph).filter((component) => component.some((module) => CHECKED_FOR_CYCLES.test(module)));
  assert.deepEqual(cycles, [], 'modules that import each other (directly or round a loop)');
});

test('nothing the gateway processes load reaches the CLI side (src/control, src/cli, src/lib)', () => {
  const graph = compiledGraph();
  const offenders = [...graph.keys()].filter((module) => GATEWAY_PROCESS.test(module)).flatMap((module) =>
    [...reachable(graph, module)].filter((to) => CLI_SIDE.test(to)).map((to) => `${module} -> ${to}`));
  assert.deepEqual(offenders, []);
});
