import { Notice, SecretField } from '../../lib/ui.js';

/** The signing secret, the one time it leaves the server, and how a receiver uses it. */
export function SecretReveal({ secret, label = 'Signing secret' }: { secret: string; label?: string }) {
  return (
    <div className="key-reveal" data-testid="secret-reveal">
      <Notice tone="warning" testId="secret-reveal-warning">
        <strong>Copy this secret now. It will not be shown again.</strong> If you lose it, rotate the secret to get a new one.
      </Notice>
      <SecretField value={secret} label={label} copyLabel="Copy secret" testId="webhook-secret" />
      <p className="muted small">
        Deliveries are signed the{' '}
        <a href="https://www.standardwebhooks.com/" target="_blank" rel="noreferrer">
          Standard Webhooks
        </a>{' '}
        way: check the <code>webhook-id</code>, <code>webhook-timestamp</code> and <code>webhook-signature</code> headers with this
        secret before trusting a body, e.g. <code className="mono">new Webhook(secret).verify(body, headers)</code> from the{' '}
        <code>standardwebhooks</code> library.
      </p>
    </div>
  );
}
