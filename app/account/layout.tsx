import type { Metadata } from "next";
import type { ReactNode } from "react";
import { requireUser } from "@/app/_components/require-user";
import { TopBar, WorkspaceSwitcher } from "@/app/_components/shell";

export const metadata: Metadata = { title: "Account" };

export default async function AccountLayout({ children }: { children: ReactNode }) {
  const user = await requireUser("/account");
  return (
    <div className="min-h-screen">
      <TopBar email={user.email}>
        <WorkspaceSwitcher />
      </TopBar>
      <main id="main" className="mx-auto max-w-3xl px-4 py-8 sm:px-6">
        {children}
      </main>
    </div>
  );
}
