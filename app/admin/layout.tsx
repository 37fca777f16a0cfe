// The platform console's frame. Only platform administrators get past it; everyone else is told
// why they see nothing (the console's API refuses them anyway: server/api/trpc.ts).
import type { Metadata } from "next";
import type { ReactNode } from "react";
import { requireUser } from "@/app/_components/require-user";
import { TopBar, WorkspaceSwitcher } from "@/app/_components/shell";
import { isPlatformAdmin } from "@/server/platform/admins";
import { AdminNav } from "./_components/admin-nav";

export const metadata: Metadata = {
  title: { default: "Platform console", template: "%s · Platform console" },
};

export default async function AdminLayout({ children }: { children: ReactNode }) {
  const user = await requireUser("/admin");
  const admin = await isPlatformAdmin(user.id);
  return (
    <div className="min-h-screen">
      <TopBar email={user.email}>
        <WorkspaceSwitcher />
      </TopBar>
      {admin ? (
        <div className="mx-auto flex max-w-7xl flex-col md:flex-row">
          <AdminNav />
          <main id="main" className="min-w-0 flex-1 px-4 py-6 sm:px-8 md:py-8">
            {children}
          </main>
        </div>
      ) : (
        <main id="main" className="mx-auto max-w-lg px-4 py-16 text-center">
          <h1 className="text-2xl font-semibold tracking-tight text-slate-900">Not authorised</h1>
          <p className="mt-2 text-sm text-slate-600">
            The platform console is for the administrators of this Baton installation, and your account (
            {user.email}) is not one of them. An operator grants the role on the server with{" "}
            <code className="font-mono text-xs">baton admin grant &lt;email&gt;</code>.
          </p>
        </main>
      )}
    </div>
  );
}
