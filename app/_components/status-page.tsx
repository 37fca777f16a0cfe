// What a page says when it cannot show what was asked for: not found, failed, loading. Branded,
// with a way on; inside a workspace it sits in the workspace's frame, elsewhere it stands alone.
import Link from "next/link";
import type { ReactNode } from "react";
import { buttonClass } from "./styles";
import { Wordmark } from "./wordmark";

export function StatusMessage({
  code,
  title,
  children,
  actions,
}: {
  /** "404", "Error": said small above the title. */
  code?: string;
  title: string;
  children?: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <div className="mx-auto max-w-lg py-12 text-center">
      {code && <p className="text-sm font-semibold tracking-wide text-indigo-600 uppercase">{code}</p>}
      <h1 className="mt-2 text-2xl font-semibold tracking-tight text-slate-900">{title}</h1>
      {children && <div className="mt-3 text-sm text-slate-600">{children}</div>}
      {actions && <div className="mt-6 flex flex-wrap justify-center gap-3">{actions}</div>}
    </div>
  );
}

/** A whole page (outside any workspace) holding a status message. */
export function StandalonePage({ children }: { children: ReactNode }) {
  return (
    <div className="flex min-h-screen flex-col">
      <header className="border-b border-slate-200 bg-white px-4 py-3 sm:px-6">
        <Wordmark />
      </header>
      <main id="main" className="flex-1 px-4">
        {children}
      </main>
    </div>
  );
}

export function HomeLink({ label = "Go to your workspaces" }: { label?: string }) {
  return (
    <Link href="/" className={buttonClass("secondary")}>
      {label}
    </Link>
  );
}

/** The page frame while a route's server part loads (loading.tsx). */
export function PageSkeleton({ label }: { label: string }) {
  return (
    <div aria-busy="true" className="animate-pulse">
      <p role="status" className="sr-only">
        Loading {label}…
      </p>
      <div className="mb-6 border-b border-slate-200 pb-5">
        <div className="h-7 w-56 max-w-full rounded bg-slate-200" />
        <div className="mt-3 h-4 w-96 max-w-full rounded bg-slate-100" />
      </div>
      <div className="space-y-3">
        <div className="h-40 rounded-lg bg-slate-100" />
        <div className="h-24 rounded-lg bg-slate-100" />
      </div>
    </div>
  );
}
