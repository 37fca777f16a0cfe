// The platform console's frame. Only platform administrators get past it: a signed-out visitor is
// sent to sign in and brought back to the page they asked for, anyone else gets HTTP 403 with
// app/forbidden.tsx (the console's API refuses them anyway: server/api/trpc.ts).
import type { Metadata } from "next";
import { headers } from "next/headers";
import { forbidden } from "next/navigation";
import type { ReactNode } from "react";
import { requireUser } from "@/app/_components/require-user";
import { TopBar, WorkspaceSwitcher } from "@/app/_components/shell";
import { REQUEST_PATH_HEADER, requestedPathUnder } from "@/server/http/request-path";
import { isPlatformAdmin } from "@/server/platform/admins";
import { AdminNav } from "./_components/admin-nav";

export const metadata: Metadata = {
  title: { default: "Platform console", template: "%s · Platform console" },
};

export default async function AdminLayout({ children }: { children: ReactNode }) {
  const asked = (await headers()).get(REQUEST_PATH_HEADER);
  const user = await requireUser(requestedPathUnder(asked, "/admin"));
  if (!(await isPlatformAdmin(user.id))) forbidden();
  return (
    <div className="min-h-screen">
      <TopBar email={user.email}>
        <WorkspaceSwitcher />
      </TopBar>
      <div className="mx-auto flex max-w-7xl flex-col md:flex-row">
        <AdminNav />
        <main id="main" className="min-w-0 flex-1 px-4 py-6 sm:px-8 md:py-8">
          {children}
        </main>
      </div>
    </div>
  );
}
