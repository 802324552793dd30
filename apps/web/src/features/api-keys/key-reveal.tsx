import { Notice, SecretField } from '../../lib/ui.js';

/**
 * The one moment the full key exists outside the caller's systems. Says so plainly and makes
 * copying easy; nothing here keeps the key after the panel closes.
 */
export function KeyReveal({ apiKey, label = 'Your new API key', origin = window.location.origin }: { apiKey: string; label?: string; origin?: string }) {
  return (
    <div className="key-reveal" data-testid="key-reveal">
      <Notice tone="warning" testId="key-reveal-warning">
        <strong>Copy this key now. It will not be shown again.</strong> Private Connect stores only a hash of it, so
        nobody (not even you, here) can see it later. If you lose it, roll the key to get a new one.
      </Notice>
      <SecretField value={apiKey} label={label} copyLabel="Copy key" testId="new-api-key" />
      <p className="muted small">
        Send it in the <code>x-api-key</code> header, e.g.{' '}
        <code className="mono nowrap">curl -H "x-api-key: $KEY" {origin}/v1/agents</code>
      </p>
    </div>
  );
}
