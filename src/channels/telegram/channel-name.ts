// A channel's name in status, logs and metrics, from its config entry. Apart from the schema
// (config.ts, zod), so that the worker names its channels without loading the validation library.

/** The channel's name: its `name`, else `telegram`, `telegram-2`, ... by position. */
export function channelName(channel: { readonly name?: string | undefined }, index: number): string {
  return channel.name ?? (index === 0 ? 'telegram' : `telegram-${index + 1}`);
}
