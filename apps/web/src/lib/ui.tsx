import { type ButtonHTMLAttributes, type InputHTMLAttributes, type ReactNode, useId, useState } from 'react';
import { errorMessage } from './errors.js';
import { exactTime, relativeTime } from './format.js';

type Variant = 'primary' | 'secondary' | 'danger' | 'ghost';

export function Button({
  variant = 'secondary',
  busy = false,
  className,
  children,
  disabled,
  ...rest
}: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: Variant; busy?: boolean }) {
  return (
    <button
      type="button"
      className={`btn btn-${variant}${className ? ` ${className}` : ''}`}
      disabled={disabled || busy}
      aria-busy={busy || undefined}
      {...rest}
    >
      {busy && <span className="spinner" aria-hidden="true" />}
      {children}
    </button>
  );
}

export function Spinner({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

export function ErrorState({ error, onRetry, title = 'Could not load this page' }: { error: unknown; onRetry?: () => void; title?: string }) {
  return (
    <div className="error-state" role="alert">
      <strong>{title}</strong>
      <p>{errorMessage(error)}</p>
      {onRetry && (
        <Button onClick={onRetry} variant="secondary">
          Try again
        </Button>
      )}
    </div>
  );
}

export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="empty-state">
      <strong>{title}</strong>
      {children && <p>{children}</p>}
      {action}
    </div>
  );
}

export function Notice({ tone = 'info', children, testId }: { tone?: 'info' | 'warning' | 'danger' | 'success'; children: ReactNode; testId?: string }) {
  return (
    <div className={`notice notice-${tone}`} data-testid={testId}>
      {children}
    </div>
  );
}

type FieldProps = InputHTMLAttributes<HTMLInputElement> & {
  label: string;
  hint?: ReactNode;
  error?: string | null;
};

/**
 * A labelled input with its hint or, in its place, its error (wired with aria-describedby). Never
 * both: an error usually restates the rule the hint gives, and the same sentence twice reads as noise.
 */
export function Field({ label, hint, error, id, className, ...input }: FieldProps) {
  const auto = useId();
  const inputId = id ?? auto;
  const hintId = `${inputId}-hint`;
  const errorId = `${inputId}-error`;
  const describedBy = error ? errorId : hint ? hintId : undefined;
  return (
    <div className={`field${className ? ` ${className}` : ''}`}>
      <label htmlFor={inputId}>{label}</label>
      <input id={inputId} aria-invalid={error ? true : undefined} aria-describedby={describedBy} {...input} />
      {error ? (
        <p id={errorId} className="field-error" role="alert">
          {error}
        </p>
      ) : (
        hint && (
          <p id={hintId} className="field-hint">
            {hint}
          </p>
        )
      )}
    </div>
  );
}

/** "3 hours ago", with the exact time on hover. `now` lets a polled page say it relative to its last fetch. */
export function RelativeTime({ iso, never = 'Never', now }: { iso: string | null; never?: string; now?: number }) {
  if (iso === null) return <span className="muted">{never}</span>;
  return (
    <time dateTime={iso} title={exactTime(iso)}>
      {relativeTime(iso, now)}
    </time>
  );
}

export function Badge({ tone, children }: { tone: 'success' | 'muted' | 'warning' | 'danger' | 'info'; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

export function CopyButton({ text, label = 'Copy', onCopied }: { text: string; label?: string; onCopied?: () => void }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
      onCopied?.();
    } catch {
      setState('failed');
    }
    window.setTimeout(() => setState('idle'), 2500);
  };
  return (
    <Button onClick={copy} variant="secondary" className="copy-btn">
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed: select and copy' : label}
    </Button>
  );
}

/** A secret in a read-only field that selects itself on focus, with a copy button: for the one time it is shown. */
export function SecretField({ value, label, copyLabel, testId }: { value: string; label: string; copyLabel: string; testId: string }) {
  const id = useId();
  return (
    <>
      <label htmlFor={id} className="key-reveal-label">
        {label}
      </label>
      <div className="key-box">
        <input
          id={id}
          className="mono key-value"
          value={value}
          readOnly
          spellCheck={false}
          autoComplete="off"
          data-testid={testId}
          onFocus={(e) => e.currentTarget.select()}
        />
        <CopyButton text={value} label={copyLabel} />
      </div>
    </>
  );
}

/** Under a paged list: "Load more" while there is more, else `end`; a failed fetch says so beside it. */
export function LoadMore({
  hasMore,
  loading,
  onMore,
  end,
  error,
  errorTitle,
  onRetry,
}: {
  hasMore: boolean;
  loading: boolean;
  onMore(): void;
  end?: ReactNode;
  error: unknown;
  errorTitle: string;
  onRetry(): void;
}) {
  if (!hasMore && !end && !error) return null;
  return (
    <div className="load-more">
      {hasMore ? (
        <Button onClick={onMore} busy={loading}>
          Load more
        </Button>
      ) : (
        end
      )}
      {error ? <ErrorState error={error} onRetry={onRetry} title={errorTitle} /> : null}
    </div>
  );
}

export function PageHeader({ title, description, actions }: { title: ReactNode; description?: ReactNode; actions?: ReactNode }) {
  return (
    <div className="page-header">
      <div>
        <h1>{title}</h1>
        {description && <p className="page-description">{description}</p>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </div>
  );
}

/** Radio buttons drawn as one segmented control: a choice among a few, each always visible. */
export function Segmented<T extends string | number>({
  legend,
  name,
  options,
  value,
  onChange,
  testId,
}: {
  legend: string;
  name: string;
  options: readonly { value: T; label: string }[];
  value: T;
  onChange(value: NoInfer<T>): void;
  testId?: string;
}) {
  return (
    <fieldset className="segmented" data-testid={testId}>
      <legend className="visually-hidden">{legend}</legend>
      {options.map((o) => (
        <label key={o.value} className="segmented-option">
          <input type="radio" name={name} value={o.value} checked={value === o.value} onChange={() => onChange(o.value)} />
          <span>{o.label}</span>
        </label>
      ))}
    </fieldset>
  );
}
