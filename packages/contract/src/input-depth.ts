/**
 * Our deepest input is an object holding an array of strings (depth 2). A JSON body nested far
 * deeper is not a request of ours; refusing it up front keeps every later walk (validation,
 * logging, re-serialising) cheap and shallow.
 */
export const MAX_INPUT_DEPTH = 32;

/** True when `value` nests objects/arrays more than `max` levels deep. Iterative: a hostile depth cannot overflow the stack. */
export function exceedsInputDepth(value: unknown, max = MAX_INPUT_DEPTH): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > max) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}
