// Split a reply into messages Telegram accepts (at most 4096 characters each). Cuts fall on a
// paragraph boundary when one keeps the part at least half full, else on a line boundary, and
// never inside a ``` code block unless the block alone is too long: then the part closes the
// fence and the next one reopens it with the same opener (language tag included). Deterministic:
// the same text always gives the same parts, so a crash between storing a reply and creating its
// outbox parts loses nothing (the parts are derived again from the stored reply).
export const TELEGRAM_TEXT_LIMIT = 4096;
/** A fence opener longer than this is not treated as one (it could not be reopened within budget). */
const MAX_OPENER = 64;
const CLOSE = '```';
const FENCE = /^\s*```/;

/** The fence each line starts in (the opener line, or null outside code). */
function fenceStates(lines: readonly string[]): Array<string | null> {
  const states: Array<string | null> = [];
  let open: string | null = null;
  for (const line of lines) {
    states.push(open);
    if (!FENCE.test(line)) continue;
    if (open !== null) open = null;
    else if (line.trim().length <= MAX_OPENER) open = line.trim();
  }
  states.push(open);
  return states;
}

/** Cut a line longer than max into pieces, at a space when there is one, never inside a surrogate pair. */
function chop(line: string, max: number): string[] {
  const pieces: string[] = [];
  let rest = line;
  while (rest.length > max) {
    let cut = rest.lastIndexOf(' ', max);
    if (cut < max / 2) cut = max;
    const code = rest.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  pieces.push(rest);
  return pieces;
}

class Packer {
  readonly parts: string[] = [];
  private lines: string[] = [];
  private states: Array<string | null> = [];
  private length = 0;
  private opener: string | null = null;

  constructor(private readonly limit: number) {}

  /** Add a line that starts in fence state `state`; `after` is the state after it. */
  add(line: string, state: string | null, after: string | null): void {
    while (this.lines.length > 0 && this.sizeWith(line, after) > this.limit) this.cut(state, line);
    this.lines.push(line);
    this.states.push(state);
    this.length += (this.lines.length > 1 ? 1 : 0) + line.length;
  }

  finish(): string[] {
    if (this.lines.length > 0) this.emit(this.lines.length, null);
    return this.parts.filter((p) => p.trim() !== '');
  }

  private sizeWith(line: string, after: string | null): number {
    const head = this.opener === null ? 0 : this.opener.length + 1;
    const tail = after === null ? 0 : CLOSE.length + 1;
    return head + this.length + (this.lines.length > 0 ? 1 : 0) + line.length + tail;
  }

  /** Emit the best prefix of the held lines as a part; `next` is the state where the held lines end. */
  private cut(nextState: string | null, nextLine: string): void {
    const n = this.lines.length;
    const stateAt = (k: number): string | null => (k < n ? this.states[k]! : nextState);
    const blank = (k: number): boolean => (k < n ? this.lines[k]! : nextLine).trim() === '';
    let paragraph = -1;
    let line = -1;
    let size = this.opener === null ? 0 : this.opener.length + 1;
    for (let k = 1; k <= n; k += 1) {
      size += this.lines[k - 1]!.length + (k > 1 ? 1 : 0);
      if (stateAt(k) !== null) continue;
      line = k;
      if ((blank(k - 1) || blank(k)) && size >= this.limit / 2) paragraph = k;
    }
    const k = paragraph > 0 ? paragraph : line > 0 ? line : n;
    this.emit(k, stateAt(k));
  }

  private emit(k: number, endState: string | null): void {
    const body = this.lines.slice(0, k).join('\n');
    const text = `${this.opener === null ? '' : `${this.opener}\n`}${body}${endState === null ? '' : `\n${CLOSE}`}`;
    this.parts.push(text.replace(/^\n+|\n+$/g, ''));
    this.lines = this.lines.slice(k);
    this.states = this.states.slice(k);
    this.length = this.lines.reduce((sum, l, i) => sum + l.length + (i > 0 ? 1 : 0), 0);
    this.opener = endState;
  }
}

export function splitMessage(text: string, limit: number = TELEGRAM_TEXT_LIMIT): string[] {
  if (text.length <= limit) return text.trim() === '' ? [] : [text];
  const raw = text.split('\n');
  const states = fenceStates(raw);
  const packer = new Packer(limit);
  // Room for a reopened fence and a closing one around the longest possible piece.
  const pieceMax = limit - (MAX_OPENER + 1) - (CLOSE.length + 1);
  raw.forEach((line, i) => {
    const pieces = line.length > pieceMax ? chop(line, pieceMax) : [line];
    const inside = states[i]!;
    pieces.forEach((piece, j) => packer.add(piece, j === 0 ? inside : (inside ?? null), j === pieces.length - 1 ? states[i + 1]! : inside));
  });
  return packer.finish();
}
