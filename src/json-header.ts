// JSON headers of lowbit's files (models, checkpoints), parsed with bounded nesting: JSON.parse
// recurses per level, so a hostile 100,000-deep array would overflow the stack; a linear scan
// rejects deep nesting before any parser sees it.

/** Deepest nesting of arrays and objects a header may have (real headers need 4). */
export const MAX_JSON_DEPTH = 32;

/** Decode UTF-8 `bytes` and parse them as JSON; a message for the caller's error on failure. */
export function parseJsonHeader(bytes: Uint8Array): { value: unknown } | { error: string } {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { error: 'the header is not UTF-8 text' };
  }
  let depth = 0, inString = false;
  for (let i = 0; i < text.length; i++) { // once per file load
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b || ch === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) return { error: `the header nests deeper than ${MAX_JSON_DEPTH} levels` };
    } else if (ch === 0x5d || ch === 0x7d) depth--;
  }
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    return { error: `the JSON header does not parse (${(e as Error).message})` };
  }
}
