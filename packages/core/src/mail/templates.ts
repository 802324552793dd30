import type { MailMessage } from './mailer.js';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A mail whose link signs its holder in: what it is for, the button, and how long it works (`footer`). */
function render(to: string, subject: string, intro: string, button: string, link: string, footer: string): MailMessage {
  const text = `${intro}\n\n${link}\n\n${footer}\n`;
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5">
<p>${escapeHtml(intro)}</p>
<p><a href="${escapeHtml(link)}" style="display:inline-block;padding:10px 16px;background:#2f5bea;color:#fff;border-radius:6px;text-decoration:none">${escapeHtml(button)}</a></p>
<p style="color:#555;font-size:13px">${escapeHtml(footer)}</p>
</body></html>`;
  return { to, subject, text, html, link };
}

const linkFooter = (minutes: number) => `This link works once and expires in ${minutes} minutes. If you did not ask for it, ignore this e-mail.`;

export function signInMail(to: string, link: string, minutes: number): MailMessage {
  return render(to, 'Your Private Connect sign-in link', 'Use this link to sign in to Private Connect.', 'Sign in', link, linkFooter(minutes));
}

export function verifyMail(to: string, workspaceName: string, link: string, minutes: number): MailMessage {
  return render(
    to,
    'Confirm your Private Connect workspace',
    `Confirm your e-mail to create the workspace "${workspaceName}" on Private Connect.`,
    'Confirm and sign in',
    link,
    linkFooter(minutes),
  );
}

/** A notice for the workspace's owner: what happened and where to look; no secret and no sign-in in it. */
function notice(to: string, subject: string, paragraphs: string[], button: string, link: string): MailMessage {
  const text = `${paragraphs.join('\n\n')}\n\n${link}\n`;
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5">
${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}
<p><a href="${escapeHtml(link)}" style="display:inline-block;padding:10px 16px;background:#2f5bea;color:#fff;border-radius:6px;text-decoration:none">${escapeHtml(button)}</a></p>
</body></html>`;
  return { to, subject, text, html, link };
}

export function webhookDisabledMail(to: string, workspaceName: string, url: string, why: string, link: string): MailMessage {
  return notice(
    to,
    'A Private Connect webhook was disabled',
    [`The webhook ${url} of the workspace "${workspaceName}" was disabled: ${why}`, 'No more events are sent to it. Fix the receiver, then enable the webhook again; its delivery log shows each attempt.'],
    'Open webhooks',
    link,
  );
}

export function keyExpiringMail(to: string, workspaceName: string, key: { name: string; prefix: string; expiresAt: string }, inWords: string, link: string): MailMessage {
  return notice(
    to,
    `API key "${key.name}" expires ${inWords}`,
    [
      `The API key "${key.name}" (${key.prefix}…) of the workspace "${workspaceName}" expires ${inWords}, at ${key.expiresAt} (UTC).`,
      'Roll it to get a new key with the same name and IP ranges; the old one keeps working through a grace period while you update what uses it.',
    ],
    'Open the key',
    link,
  );
}

export function invitationMail(to: string, invite: { workspaceName: string; invitedBy: string | null; role: string }, link: string, days: number): MailMessage {
  const by = invite.invitedBy ? `${invite.invitedBy} invited you` : 'You are invited';
  return render(
    to,
    `Join "${invite.workspaceName}" on Private Connect`,
    `${by} to join the workspace "${invite.workspaceName}" on Private Connect as ${invite.role}.`,
    'Review the invitation',
    link,
    `This invitation works once and expires in ${days} days. If you did not expect it, ignore this e-mail.`,
  );
}
