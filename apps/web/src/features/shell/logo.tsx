export function Logo() {
  return (
    <span className="logo">
      <svg viewBox="0 0 32 32" width="24" height="24" aria-hidden="true" focusable="false">
        <rect width="32" height="32" rx="7" fill="currentColor" />
        <path d="M11 14v-3a5 5 0 0 1 10 0v3" fill="none" stroke="var(--logo-fg)" strokeWidth="2.5" />
        <rect x="8" y="14" width="16" height="11" rx="2.5" fill="var(--logo-fg)" />
        <circle cx="16" cy="19.5" r="1.8" fill="currentColor" />
      </svg>
      <span className="logo-text">Private Connect</span>
    </span>
  );
}
