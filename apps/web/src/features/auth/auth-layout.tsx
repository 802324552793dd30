import type { ReactNode } from 'react';
import { Logo } from '../shell/logo.js';

/** The signed-out frame: one centred card, the product's name, nothing to leak. */
export function AuthLayout({ children, footer }: { children: ReactNode; footer?: ReactNode }) {
  return (
    <div className="auth-layout">
      <main className="auth-main">
        <div className="auth-brand">
          <Logo />
        </div>
        <div className="card auth-card">{children}</div>
        {footer && <div className="auth-footer">{footer}</div>}
      </main>
    </div>
  );
}
