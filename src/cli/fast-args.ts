// What the command lines read without commander (main.ts: `run`, `start`, `status`, `send`) have in
// common: the command's name first, then node:util parseArgs, strict, with --profile beside the
// command's own options. A command line is read to exactly what commander makes of it, or to null:
// anything parseArgs or the command cannot read so (--help, a typo, an unknown option, a bad value)
// goes to the full CLI, which explains it. A command says only what its options are and mean.
import { DEFAULT_PROFILE } from '../paths.js';

const { parseArgs } = process.getBuiltinModule('node:util');

/** Options as parseArgs takes them, none repeated or defaulted: a default is the command's to apply, as commander's is. */
export type FastOptions = Readonly<Record<string, { readonly type: 'string' | 'boolean'; readonly short?: string }>>;

/** What a strict parseArgs reads for `O`: each option's value, undefined when it is not given. */
export type FastValues<O extends FastOptions> = { readonly [K in keyof O]?: O[K]['type'] extends 'string' ? string : boolean };

/** Every command takes it, with the same default (options.ts withProfile). */
const PROFILE = { profile: { type: 'string', short: 'p' } } as const;

export interface FastCommandLine<O extends FastOptions> {
  readonly name: string;
  readonly options: O;
  /** How many arguments it takes (none when not said); commander asks for exactly these. */
  readonly positionals?: number;
}

/**
 * `NAME [-p|--profile NAME] [its options] [its arguments]` as `read` maps its values and
 * arguments (null when it cannot), with the profile; null for any other command line.
 */
export function readCommandLine<O extends FastOptions, R extends object>(
  args: readonly string[],
  line: FastCommandLine<O>,
  read: (values: FastValues<O>, positionals: readonly string[]) => R | null,
): ({ readonly profile: string } & R) | null {
  const arity = line.positionals ?? 0;
  if (args[0] !== line.name) return null;
  // `--` ends the options for commander and parseArgs alike, but what follows it is left to the full CLI.
  if (arity > 0 && args.includes('--')) return null;
  try {
    // Typed by hand: parseArgs's own types cannot follow options that are a type parameter.
    const { values, positionals } = parseArgs({
      args: args.slice(1),
      options: { ...PROFILE, ...line.options },
      strict: true,
      allowPositionals: arity > 0,
    }) as { values: FastValues<typeof PROFILE> & FastValues<O>; positionals: string[] };
    if (positionals.length !== arity) return null;
    const own = read(values, positionals);
    return own === null ? null : { profile: values.profile ?? DEFAULT_PROFILE, ...own };
  } catch {
    // parseArgs throws on whatever it cannot read: commander reads it again and says what is wrong.
    return null;
  }
}
