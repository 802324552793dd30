import { describe, expect, it } from 'vitest';
import { RESERVED_WORKSPACE_NAMES, emailSchema, issuesToDetails, loginInput, logoutInput, registerInput, verifyInput, workspaceNameSchema } from '../src/index.js';

const messages = (r: { success: boolean; error?: { issues: { message: string }[] } }) => r.error?.issues.map((i) => i.message) ?? [];

describe('email', () => {
  it('is trimmed and lower-cased', () => {
    expect(emailSchema.parse('  Alice@Example.COM \n')).toBe('alice@example.com');
  });

  it('accepts exactly 254 characters and refuses 255', () => {
    const domain = `${'d'.repeat(60)}.${'e'.repeat(60)}.${'f'.repeat(60)}.com`; // 185 chars, labels ≤ 63
    const at254 = `${'a'.repeat(254 - domain.length - 1)}@${domain}`;
    expect(at254).toHaveLength(254);
    expect(emailSchema.parse(at254)).toBe(at254);
    const at255 = `b${at254}`;
    const r = emailSchema.safeParse(at255);
    expect(r.success).toBe(false);
    expect(messages(r)).toContain('E-mail must be at most 254 characters.');
  });

  it('counts the length after trimming', () => {
    const domain = `${'d'.repeat(60)}.${'e'.repeat(60)}.${'f'.repeat(60)}.com`;
    const at254 = `${'a'.repeat(254 - domain.length - 1)}@${domain}`;
    expect(emailSchema.parse(`   ${at254}   `)).toBe(at254);
  });

  it.each([
    ['a\r\nb@example.com', 'CR LF'],
    ['a\u0000b@example.com', 'NUL'],
    ['a\u007fb@example.com', 'DEL'],
    ['a\u0085b@example.com', 'C1 control'],
    ['a\u2028b@example.com', 'line separator'],
    ['alice@example.com\r\nBcc: eve@example.com', 'header injection'],
  ])('refuses control characters inside (%j, %s)', (input) => {
    const r = emailSchema.safeParse(input);
    expect(r.success).toBe(false);
  });

  it.each(['', '   ', 'alice', 'alice@', '@example.com', 'alice@@example.com', 'a b@example.com'])('refuses %j', (input) => {
    expect(emailSchema.safeParse(input).success).toBe(false);
  });

  it('refuses non-strings', () => {
    expect(emailSchema.safeParse(42).success).toBe(false);
    expect(emailSchema.safeParse(undefined).success).toBe(false);
  });
});

describe('workspace name', () => {
  it.each(['ab', 'acme', 'acme-corp', '9lives', 'a-', 'x'.repeat(50), 'team-42'])('accepts %j', (name) => {
    expect(workspaceNameSchema.parse(name)).toBe(name);
  });

  it('is trimmed', () => {
    expect(workspaceNameSchema.parse('  acme  ')).toBe('acme');
    expect(workspaceNameSchema.parse('acme\n')).toBe('acme');
  });

  it.each([
    ['a', 'too short'],
    ['x'.repeat(51), 'too long'],
    ['-acme', 'starts with a hyphen'],
    ['Acme', 'upper case'],
    ['acme corp', 'space'],
    ['acme_corp', 'underscore'],
    ['acmé', 'non-ASCII'],
    ['acme.io', 'dot'],
    ['', 'empty'],
    ['ac\nme', 'newline inside'],
  ])('refuses %j (%s)', (name) => {
    expect(workspaceNameSchema.safeParse(name).success).toBe(false);
  });

  it.each([...RESERVED_WORKSPACE_NAMES])('refuses the reserved name %j', (name) => {
    const r = workspaceNameSchema.safeParse(name);
    expect(r.success).toBe(false);
    expect(messages(r).join(' ')).toMatch(/reserved|Workspace name/);
  });

  it('refuses admin, api and www as reserved, with that reason', () => {
    for (const name of ['admin', 'api', 'www']) {
      expect(messages(workspaceNameSchema.safeParse(name))).toEqual(['This workspace name is reserved.']);
    }
  });

  it('is not fooled by padding around a reserved name', () => {
    expect(workspaceNameSchema.safeParse(' admin ').success).toBe(false);
  });
});

describe('register, login and verify inputs', () => {
  it('register normalises both fields', () => {
    expect(registerInput.parse({ email: ' Bob@Example.com', workspaceName: ' bobs ' })).toEqual({ email: 'bob@example.com', workspaceName: 'bobs' });
  });

  it('register names the failing field in details', () => {
    const r = registerInput.safeParse({ email: 'nope', workspaceName: 'admin' });
    expect(r.success).toBe(false);
    const paths = issuesToDetails(r.error!.issues).map((d) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['email', 'workspaceName']));
  });

  it('login takes just an e-mail', () => {
    expect(loginInput.parse({ email: 'X@Y.io' })).toEqual({ email: 'x@y.io' });
    expect(loginInput.safeParse({}).success).toBe(false);
  });

  it('verify needs a token of bounded size', () => {
    expect(verifyInput.safeParse({ token: '' }).success).toBe(false);
    expect(verifyInput.safeParse({ token: 'x'.repeat(4097) }).success).toBe(false);
    expect(verifyInput.safeParse({ token: 42 }).success).toBe(false);
    expect(verifyInput.parse({ token: 'abc' })).toEqual({ token: 'abc' });
  });

  it('logout scope defaults to local and refuses unknown scopes', () => {
    expect(logoutInput.parse({})).toEqual({ scope: 'local' });
    expect(logoutInput.parse({ scope: 'global' })).toEqual({ scope: 'global' });
    const r = logoutInput.safeParse({ scope: 'everything' });
    expect(r.success).toBe(false);
    expect(issuesToDetails(r.error!.issues)[0]?.path).toBe('scope');
  });
});
