/** The part of a zod schema a form needs: parse, and say what is wrong in the contract's words. */
interface SafeParser<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: readonly { message: string }[] } };
}

export function firstIssue<T>(schema: SafeParser<T>, value: unknown): string | null {
  const r = schema.safeParse(value);
  return r.success ? null : (r.error.issues[0]?.message ?? 'Invalid value.');
}

export function parsed<T>(schema: SafeParser<T>, value: unknown): T | null {
  const r = schema.safeParse(value);
  return r.success ? r.data : null;
}
