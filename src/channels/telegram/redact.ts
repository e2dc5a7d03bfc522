// Telegram puts the bot token in every URL (`<apiRoot>/bot<token>/<method>`). Anything that could
// reach a log line, a status field or an error message goes through here first.
const BOT_PATH_TOKEN = /bot\d{3,}:[A-Za-z0-9_-]{10,}/g;
const BARE_TOKEN = /\b\d{3,}:[A-Za-z0-9_-]{30,}\b/g;

/** Replace the token (and anything shaped like a bot token) with a placeholder. */
export function redact(text: string, token?: string | null): string {
  let out = text;
  if (token !== undefined && token !== null && token !== '') out = out.split(token).join('<redacted>');
  return out.replace(BOT_PATH_TOKEN, 'bot<redacted>').replace(BARE_TOKEN, '<redacted>');
}

/** An Error whose message and stack carry no token; the original is not kept as `cause`. */
export function redactedError(error: unknown, token?: string | null): Error {
  const source = error instanceof Error ? error : new Error(String(error));
  const clean = new Error(redact(source.message, token));
  clean.name = source.name;
  if (source.stack !== undefined) clean.stack = redact(source.stack, token);
  const code = (source as NodeJS.ErrnoException).code;
  if (code !== undefined) (clean as NodeJS.ErrnoException).code = code;
  return clean;
}
