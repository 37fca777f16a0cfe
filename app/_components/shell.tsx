"use client";
// The signed-in frame: top bar (wordmark, workspace switcher, account, sign out) and, inside a
// workspace, the section nav. Workspace pages read the open workspace with useWorkspace().
import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { signOut } from "next-auth/react";
import { createContext, type ReactNode, useContext, useId, useState } from "react";
import { useTRPC } from "@/app/_lib/trpc";
import type { AppRouter } from "@/server/api/root";
import { type Permission, permissions } from "@/server/tenancy/roles";
import { Alert } from "./alert";
import { Button } from "./button";
import { withCallback } from "./callback-url";
import { errorCode, errorMessage, formErrors } from "./errors";
import { NotificationBell } from "./notification-bell";
import { RoleBadge, roleLabel } from "./role-badge";
import { buttonClass, control, focusRing } from "./styles";
import { ThemeSwitch } from "./theme-switch";
import { Wordmark } from "./wordmark";

type WorkspaceInfo = inferRouterOutputs<AppRouter>["workspace"]["get"];
type OpenWorkspace = WorkspaceInfo & { can: (permission: Permission) => boolean };

const WorkspaceContext = createContext<OpenWorkspace | null>(null);

/** The workspace the page is in: slug, name, your role and what it allows. */
export function useWorkspace(): OpenWorkspace {
  const workspace = useContext(WorkspaceContext);
  if (!workspace) throw new Error("useWorkspace() is only available inside the workspace shell");
  return workspace;
}

/** Renders `children` only for roles holding `permission`; others learn why they see nothing. */
export function RequirePermission({ permission, children }: { permission: Permission; children: ReactNode }) {
  const workspace = useWorkspace();
  if (workspace.can(permission)) return children;
  return (
    <Alert tone="warning" title="Not available to your role">
      Your role ({roleLabel(workspace.role)}) cannot use this page: it needs the permission “
      {permissions[permission]}”. Ask an owner or admin of {workspace.name} if you need it.
    </Alert>
  );
}

export function SignOutButton() {
  const [pending, setPending] = useState(false);
  return (
    <Button
      variant="ghost"
      size="sm"
      pending={pending}
      pendingLabel="Signing out…"
      onClick={() => {
        setPending(true);
        void signOut({ callbackUrl: "/sign-in" });
      }}
    >
      Sign out
    </Button>
  );
}

/** `actions`: controls of the open page's context (the workspace's notification bell). */
export function TopBar({
  email,
  actions,
  children,
}: {
  email: string;
  actions?: ReactNode;
  children?: ReactNode;
}) {
  return (
    <header className="border-b border-slate-200 bg-white">
      <a
        href="#main"
        className="sr-only rounded-md bg-indigo-600 px-3 py-2 text-sm font-semibold text-white focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-10"
      >
        Skip to content
      </a>
      <div className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3 sm:px-6">
        <Wordmark />
        <div className="min-w-0 flex-1">{children}</div>
        <div className="flex min-w-0 items-center gap-2 text-sm">
          {actions}
          <PlatformConsoleLink />
          <ThemeSwitch />
          <Link
            href="/account"
            className={`max-w-40 truncate rounded-sm text-slate-700 sm:max-w-64 hover:text-slate-900 hover:underline ${focusRing}`}
            title="Your account"
          >
            {email}
          </Link>
          <SignOutButton />
        </div>
      </div>
    </header>
  );
}

/** Shown to platform administrators only (the console itself refuses everyone else). */
function PlatformConsoleLink() {
  const trpc = useTRPC();
  const { data } = useQuery(trpc.account.me.queryOptions());
  if (!data?.platformAdmin) return null;
  return (
    <Link
      href="/admin"
      className={`rounded-sm font-medium whitespace-nowrap text-indigo-700 hover:text-indigo-900 hover:underline ${focusRing}`}
    >
      Platform console
    </Link>
  );
}

const NEW_WORKSPACE = "__new__";

/** Lists your workspaces; switching keeps the sub-page (members, tokens, …). */
export function WorkspaceSwitcher({ current }: { current?: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const id = useId();
  const { data } = useQuery(trpc.account.workspaces.queryOptions());
  const workspaces = data ?? (current ? [{ slug: current, name: current }] : []);

  function switchTo(slug: string) {
    if (slug === NEW_WORKSPACE) return router.push("/workspaces/new");
    const prefix = current ? `/w/${current}` : undefined;
    const subPage = prefix && pathname.startsWith(prefix) ? pathname.slice(prefix.length) : "";
    router.push(`/w/${slug}${subPage}`);
  }

  return (
    <div className="flex items-center gap-2">
      <label htmlFor={id} className="sr-only">
        Workspace
      </label>
      <select
        id={id}
        value={current ?? ""}
        onChange={(event) => switchTo(event.target.value)}
        className={`${control} max-w-64 py-1.5 pr-8 font-medium`}
      >
        {!current && (
          <option value="" disabled>
            Choose a workspace…
          </option>
        )}
        {/* Named with `label`, not text: a closed select hides its options, so text searches (find in
            page, test locators) should land on the visible name in the page instead. */}
        {workspaces.map((workspace) => (
          <option key={workspace.slug} value={workspace.slug} label={workspace.name} />
        ))}
        <option value={NEW_WORKSPACE}>New workspace…</option>
      </select>
    </div>
  );
}

/**
 * `also`: another path prefix under which the section counts as the current one. `inFolders`: the
 * section lists what folders hold, so a folder grant alone (a guest's) shows it, with their folders.
 */
const sections: {
  label: string;
  path: string;
  permission: Permission;
  also?: string;
  inFolders?: boolean;
}[] = [
  { label: "Overview", path: "", permission: "workspace:read" },
  { label: "DAGs", path: "/dags", permission: "workspace:read", inFolders: true },
  { label: "Folders", path: "/folders", permission: "workspace:read", inFolders: true },
  { label: "Runs", path: "/runs", permission: "workspace:read", inFolders: true },
  { label: "Variables", path: "/variables", permission: "config:read", inFolders: true },
  { label: "Secrets", path: "/secrets", permission: "config:read", inFolders: true },
  { label: "Connections", path: "/connections", permission: "config:read", inFolders: true },
  { label: "Webhooks", path: "/webhooks", permission: "workspace:read" },
  { label: "Alerts", path: "/alerts", permission: "workspace:read" },
  { label: "Lineage", path: "/lineage", permission: "workspace:read" },
  { label: "Pools", path: "/pools", permission: "workspace:read" },
  { label: "Usage", path: "/usage", permission: "workspace:read" },
  { label: "Members", path: "/members", permission: "members:read" },
  { label: "Groups", path: "/groups", permission: "members:read" },
  { label: "API tokens", path: "/tokens", permission: "tokens:manage" },
  { label: "Audit log", path: "/audit", permission: "audit:read" },
  { label: "Settings", path: "/settings", permission: "workspace:update" },
];

function SectionNav({ workspace }: { workspace: OpenWorkspace }) {
  const pathname = usePathname();
  const base = `/w/${workspace.slug}`;
  return (
    <nav
      aria-label="Workspace sections"
      className="border-b border-slate-200 px-4 py-4 md:w-56 md:shrink-0 md:border-r md:border-b-0 md:py-6"
    >
      <div className="mb-4 hidden px-2 md:block">
        <p className="truncate text-sm font-semibold text-slate-900">{workspace.name}</p>
        <p className="mt-1 flex items-center gap-1.5 text-xs text-slate-500">
          Your role <RoleBadge role={workspace.role} />
        </p>
      </div>
      <ul className="flex gap-1 overflow-x-auto md:flex-col">
        {sections
          .filter(
            (section) =>
              workspace.can(section.permission) ||
              (section.inFolders && workspace.folderPermissions.includes(section.permission)),
          )
          .map((section) => {
            const href = `${base}${section.path}`;
            const active = section.path
              ? pathname.startsWith(href) || (!!section.also && pathname.startsWith(`${base}${section.also}`))
              : pathname === href;
            return (
              <li key={section.label}>
                <SideNavLink href={href} active={active}>
                  {section.label}
                </SideNavLink>
              </li>
            );
          })}
      </ul>
    </nav>
  );
}

/** A link of a side navigation (the workspace's sections, the platform console's). */
export function SideNavLink({
  href,
  active,
  children,
}: {
  href: string;
  active: boolean;
  children: ReactNode;
}) {
  return (
    <Link
      href={href}
      aria-current={active ? "page" : undefined}
      className={`block rounded-md px-2 py-1.5 text-sm font-medium whitespace-nowrap ${focusRing} ${
        active ? "bg-indigo-50 text-indigo-700" : "text-slate-700 hover:bg-slate-100 hover:text-slate-900"
      }`}
    >
      {children}
    </Link>
  );
}

function Message({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main id="main" className="mx-auto max-w-lg px-4 py-16 text-center">
      <h1 className="text-2xl font-semibold tracking-tight text-slate-900">{title}</h1>
      <div className="mt-2 text-sm text-slate-600">{children}</div>
    </main>
  );
}

/** The frame of /w/<slug>/…: loads the workspace, then shows the nav and the page. */
export function WorkspaceShell({
  slug,
  email,
  initial,
  children,
}: {
  slug: string;
  email: string;
  /** The workspace as the server loaded it: the page renders at once (on the server too). */
  initial?: WorkspaceInfo;
  children: ReactNode;
}) {
  const trpc = useTRPC();
  const query = useQuery({ ...trpc.workspace.get.queryOptions({ workspace: slug }), initialData: initial });
  const code = errorCode(query.error);
  const missing = code === "NOT_FOUND" || code === "BAD_REQUEST";

  let body: ReactNode;
  if (query.data) {
    const data = query.data;
    const workspace: OpenWorkspace = { ...data, can: (permission) => data.permissions.includes(permission) };
    body = (
      <WorkspaceContext value={workspace}>
        <div className="mx-auto flex max-w-7xl flex-col md:flex-row">
          <SectionNav workspace={workspace} />
          <main id="main" className="min-w-0 flex-1 px-4 py-6 sm:px-8 md:py-8">
            {data.suspendedAt && (
              <Alert tone="warning" title="Workspace suspended" className="mb-6">
                {/* The reason is a sentence of its own; its final stop would double the one after it. */}
                This workspace is suspended: {data.suspendedReason?.replace(/[.!]+$/, "")}. Runs, schedules
                and webhooks are stopped; contact your administrator.
              </Alert>
            )}
            {children}
          </main>
        </div>
      </WorkspaceContext>
    );
  } else if (missing) {
    body = (
      <Message title="Workspace not found">
        <p>There is no workspace at “{slug}”, or you are not a member of it.</p>
        <p className="mt-4">
          <Link href="/" className={buttonClass("secondary")}>
            Go to your workspaces
          </Link>
        </p>
      </Message>
    );
  } else if (query.error) {
    body = (
      <Message title="Could not open the workspace">
        <Alert tone="error">{errorMessage(query.error)}</Alert>
        <p className="mt-4">
          {code === "UNAUTHORIZED" ? (
            <Link href={withCallback("/sign-in", `/w/${slug}`)} className={buttonClass()}>
              Sign in again
            </Link>
          ) : formErrors(query.error, ["twoFactor"]).fields.twoFactor ? (
            // The workspace asks for two factors: enrol, then come back.
            <Link href="/account#two-factor" className={buttonClass()}>
              Set up a second factor
            </Link>
          ) : (
            <Button variant="secondary" onClick={() => query.refetch()}>
              Try again
            </Button>
          )}
        </p>
      </Message>
    );
  } else {
    body = (
      <main id="main" className="px-4 py-16 text-center text-sm text-slate-500">
        <p role="status">Loading workspace…</p>
      </main>
    );
  }

  return (
    <div className="min-h-screen">
      <TopBar email={email} actions={query.data ? <NotificationBell slug={slug} /> : undefined}>
        <WorkspaceSwitcher current={missing ? undefined : slug} />
      </TopBar>
      {body}
    </div>
  );
}
