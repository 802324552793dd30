import type { MailMessage } from './mailer.js';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function render(to: string, subject: string, intro: string, button: string, link: string, minutes: number): MailMessage {
  const text = `${intro}\n\n${link}\n\nThis link works once and expires in ${minutes} minutes. If you did not ask for it, ignore this e-mail.\n`;
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5">
<p>${escapeHtml(intro)}</p>
<p><a href="${escapeHtml(link)}" style="display:inline-block;padding:10px 16px;background:#2f5bea;color:#fff;border-radius:6px;text-decoration:none">${escapeHtml(button)}</a></p>
<p style="color:#555;font-size:13px">This link works once and expires in ${minutes} minutes. If you did not ask for it, ignore this e-mail.</p>
</body></html>`;
  return { to, subject, text, html, link };
}

export function signInMail(to: string, link: string, minutes: number): MailMessage {
  return render(to, 'Your Private Connect sign-in link', 'Use this link to sign in to Private Connect.', 'Sign in', link, minutes);
}

export function verifyMail(to: string, workspaceName: string, link: string, minutes: number): MailMessage {
  return render(
    to,
    'Confirm your Private Connect workspace',
    `Confirm your e-mail to create the workspace "${workspaceName}" on Private Connect.`,
    'Confirm and sign in',
    link,
    minutes,
  );
}
