// Bundle the CLI's fast commands (`status`, `send`) into dist/src/cli/fast-commands.js, after tsc
// (`npm run build` runs both). A call of either then reads one module from the compile cache instead
// of resolving, reading and linking some thirty (src/cli/fast-commands.ts). What they load only now
// and then (a gateway that does not answer, --deep, --wait, another OS's autostart backend) stays a
// dynamic import of the compiled module beside it, so the bundle holds only their common path.
//   node scripts/bundle-cli.js
import { build } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'dist', 'src');
const CLI = join(SRC, 'cli');
const OUT = join(CLI, 'fast-commands.js');

/** Imported dynamically on the common path of both commands: bundled (paths under dist/src). */
const COMMON_PATH = new Set([
  'runtime/control-client.js',
  'control/status-report.js',
  'service/systemd-status.js',
  'control/send-message.js',
]);

/** Every other dynamic import stays one, of the compiled module, by its path from dist/src/cli. */
const keepDynamicImports = {
  name: 'keep-dynamic-imports',
  setup(b) {
    b.onResolve({ filter: /^\./ }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const target = resolve(args.resolveDir, args.path);
      if (COMMON_PATH.has(relative(SRC, target).split(sep).join('/'))) return undefined;
      const fromCli = relative(CLI, target).split(sep).join('/');
      return { path: fromCli.startsWith('.') ? fromCli : `./${fromCli}`, external: true };
    });
  },
};

const result = await build({
  // The entry is written here, not read from fast-commands.js, which a previous run replaced.
  stdin: {
    contents: "export { parseStatusCommand, statusCommand } from './status-command.js';\nexport { parseSendCommand, sendCommand } from './send-command.js';\n",
    resolveDir: CLI,
    sourcefile: 'fast-commands.js',
  },
  absWorkingDir: ROOT,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  outfile: OUT,
  allowOverwrite: true,
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
  banner: { js: '// Built by scripts/bundle-cli.js from the modules under dist/src (src/cli/fast-commands.ts says why).' },
  plugins: [keepDynamicImports],
});

const inputs = Object.keys(result.metafile.inputs).filter((file) => file !== 'fast-commands.js');
// Our compiled modules and npm packages only (a stray source file would be bundled stale).
const outside = inputs.filter((file) => !resolve(ROOT, file).startsWith(SRC + sep) && !resolve(ROOT, file).startsWith(join(ROOT, 'node_modules') + sep));
const output = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith('.js'))?.[1];
if (outside.length > 0) throw new Error(`the fast commands' bundle reaches outside dist/src and node_modules: ${outside.join(', ')}`);
// A bundled module that finds files relative to itself (import.meta.url) would look in the wrong place.
if (readFileSync(OUT, 'utf8').includes('import.meta')) throw new Error('the fast commands\' bundle uses import.meta: a bundled module would resolve files from the wrong place');
// What the bundle holds, for test/e2e/lean-modules.test.ts: its checks of what the fast commands
// load apply to these as to the modules they load at run time.
writeFileSync(join(CLI, 'fast-commands.inputs.json'), `${JSON.stringify(inputs.map((f) => relative(ROOT, resolve(ROOT, f)).split(sep).join('/')), null, 1)}\n`);
process.stdout.write(`bundled ${inputs.length} modules into ${relative(ROOT, OUT)} (${output?.bytes ?? '?'} bytes)\n`);
